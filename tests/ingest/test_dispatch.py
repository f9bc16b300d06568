"""Queuing executions: every accepted webhook gets a turn, bursts share turns, and a
broker that refuses costs no other webhook its turn."""

import os
import subprocess
import sys
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


def turns(published) -> int:
    """Turns sent: a turn names no events (the worker chooses, fairly, what to run)."""
    assert {call.args[0] for call in published.call_args_list} <= {"ingest.execute_turn"}
    return published.call_count


def queued_for(published) -> list[int | None]:
    """The workspaces whose work queued each turn sent."""
    turns(published)
    return [call.args[1] for call in published.call_args_list]


def test_a_burst_shares_few_turns(published, settings):
    settings.INGEST_DISPATCH_LINGER_MS = 300
    for _ in range(40):
        queue.execute_soon(7)
    wait_for(lambda: turns(published) >= 1 and not queue.dispatcher._workspace_ids)
    time.sleep(0.4)  # past the linger: anything still held would have gone out
    assert 1 <= turns(published) <= 3
    assert set(queued_for(published)) == {7}


def test_a_burst_queues_a_turn_for_each_of_its_workspaces(published, monkeypatch):
    """A turn claims one workspace's work; and a workspace whose turn is queued (a
    flood's) never holds back another's."""
    monkeypatch.setattr(queue, "TURN_MARK_S", 10.0)
    queue.turn(7)
    queue.dispatcher.flush()  # nothing held
    for workspace_id in [7, 8, 7, 9]:
        queue.dispatcher.add(workspace_id)
    queue.dispatcher.flush()
    assert queued_for(published) == [7, 8, 9]


def test_a_turn_queued_and_not_started_takes_the_bursts_after_it(published, monkeypatch):
    """Every burst queued its own turn, and most found their events taken by an
    earlier one: a turn no worker has started claims what is due when it starts."""
    monkeypatch.setattr(queue, "TURN_MARK_S", 10.0)  # however slow this machine is
    queue.turn(7)
    queue.turn(7)
    assert turns(published) == 1
    queue.turn_started(7)  # a worker starts it: what comes next needs another turn
    queue.turn(7)
    assert turns(published) == 2


def test_a_turn_the_broker_refused_leaves_no_mark(published):
    published.side_effect = [ConnectionError("broker down"), None]
    with pytest.raises(ConnectionError):
        queue.turn()
    queue.turn()
    assert published.call_count == 2


def test_a_turn_no_worker_starts_is_taken_for_lost(published):
    """Briefly: a worker whose threads are all busy may hold it while another idles."""
    queue.turn()
    time.sleep(queue.TURN_MARK_S + 0.01)
    queue.turn()
    assert turns(published) == 2


def test_after_a_quiet_moment_a_webhooks_turn_goes_out_alone(published, settings):
    settings.INGEST_DISPATCH_LINGER_MS = 20
    queue.execute_soon(7)
    wait_for(lambda: turns(published) == 1)
    queue.turn_started(7)
    time.sleep(0.1)  # a quiet moment, longer than the linger
    queue.execute_soon(7)
    wait_for(lambda: turns(published) == 2)


def test_a_broker_failure_is_logged_and_later_ids_still_go_out(published, settings, caplog):
    settings.INGEST_DISPATCH_LINGER_MS = 0
    published.side_effect = [ConnectionError("broker down"), None]
    queue.execute_soon(7)
    wait_for(lambda: published.call_count == 1)
    wait_for(lambda: "not queued" in caplog.text)
    queue.execute_soon(7)
    wait_for(lambda: turns(published) == 2)


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
    queue.execute_soon(7)
    wait_for(lambda: turns(published) == 1)


def test_a_web_server_queues_without_the_task_module(tmp_path):
    """Daphne never imports ingest.tasks, so its Celery registry does not know ingest's
    tasks: they are sent by name all the same (a lookup in the registry failed, and no
    webhook was queued)."""
    code = "import django; django.setup(); from ingest import queue; queue.turn(); print('sent')"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "PYTEST"))}
    env |= {"DJANGO_SETTINGS_MODULE": "functions_ide.settings", "DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout.strip()) == (0, "sent"), done.stderr[-2000:]


def test_while_the_workers_keep_up_each_webhooks_turn_goes_out_at_once(published, settings):
    """The linger is for busy workers only: a webhook arriving right after another whose
    turn a worker has started does not wait for company."""
    settings.INGEST_DISPATCH_LINGER_MS = 5000
    queue.execute_soon(7)
    wait_for(lambda: turns(published) == 1)
    queue.turn_started(7)
    queue.execute_soon(7)
    wait_for(lambda: turns(published) == 2, timeout=2)  # well before the linger


def test_work_nobody_waits_for_is_sent_without_a_result_to_wait_for():
    """A turn, a retry or a delivery stores no result, and its sender subscribes to
    none: with a result backend, each send would otherwise cost a round trip and leave
    a subscription in the web process."""
    with mock.patch("celery.current_app.send_task") as send_task:
        queue.Broker().send(queue.TURN, 7)
        queue.Broker().send(queue.RETRY, 8, countdown=1.5)
    assert [(c.args, c.kwargs) for c in send_task.call_args_list] == [
        ((queue.TURN, (7,)), {"countdown": None, "ignore_result": True}),
        ((queue.RETRY, (8,)), {"countdown": 1.5, "ignore_result": True}),
    ]
