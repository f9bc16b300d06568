"""Queuing executions: every accepted webhook reaches the broker exactly once, bursts
share tasks, and a broker that refuses costs no other webhook its task."""

import threading
import time
from unittest import mock

import pytest

from ingest import queue
from tests.ingest.helpers import wait_for


@pytest.fixture
def published():
    """What the queue sends to the broker, as it is sent."""
    with mock.patch.object(queue.broker, "send") as send:
        yield send


def queued_ids(published) -> list[int]:
    assert {call.args[0] for call in published.call_args_list} <= {"ingest.execute_batch"}
    return [pk for call in published.call_args_list for pk in call.args[1]]


def test_a_burst_shares_few_tasks_and_loses_no_id(published, settings):
    settings.INGEST_DISPATCH_LINGER_MS = 300
    ids = list(range(1000, 1040))
    for pk in ids:
        queue.execute_soon(pk)
    wait_for(lambda: len(queued_ids(published)) >= len(ids))
    assert sorted(queued_ids(published)) == ids
    assert published.call_count <= 3


def test_after_a_quiet_moment_an_id_goes_out_alone(published, settings):
    settings.INGEST_DISPATCH_LINGER_MS = 20
    queue.execute_soon(2000)
    wait_for(lambda: published.call_count == 1)
    time.sleep(0.1)  # a quiet moment, longer than the linger
    queue.execute_soon(2001)
    wait_for(lambda: published.call_count == 2)
    assert [call.args[1] for call in published.call_args_list] == [[2000], [2001]]


def test_a_broker_failure_is_logged_and_later_ids_still_go_out(published, settings, caplog):
    settings.INGEST_DISPATCH_LINGER_MS = 0
    published.side_effect = [ConnectionError("broker down"), None]
    queue.execute_soon(3000)
    wait_for(lambda: published.call_count == 1)
    wait_for(lambda: "not queued" in caplog.text)
    queue.execute_soon(3001)
    wait_for(lambda: published.call_count == 2)
    assert published.call_args.args[1] == [3001]


def test_queue_sends_at_most_a_batch_per_task(published, settings):
    settings.INGEST_BATCH_MAX = 50
    queue.execute(list(range(120)))
    assert [len(call.args[1]) for call in published.call_args_list] == [50, 50, 20]
    assert queued_ids(published) == list(range(120))


def test_a_dispatcher_thread_that_died_is_replaced(published, settings):
    settings.INGEST_DISPATCH_LINGER_MS = 0
    dead = threading.Thread(target=lambda: None)
    dead.start()
    dead.join()
    queue.dispatcher._thread = dead
    queue.execute_soon(4000)
    wait_for(lambda: published.call_count == 1)
    assert published.call_args.args[1] == [4000]
