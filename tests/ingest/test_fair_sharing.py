"""Fair sharing between workspaces: one workspace's flood of webhooks cannot hold back
another's. A turn runs the fairest due work, each workspace keeps within its share of a
worker's threads, and a claim lasts as long as its run and record (issue 18.8)."""

import dataclasses
import threading
import time
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

import ingest.execute
from ingest import queue, services
from ingest.execute import claims, runtime
from ingest.execute.sharing import Shares
from ingest.models import Execution, IngestEvent
from tests.ingest.helpers import (
    STRIPE_CHARGE,
    TRACK_AND_SET,
    deploy_new_version,
    finished,
    post_webhook,
    source_running,
    wait_for,
)
from tests.threads import database_thread

Status = IngestEvent.Status


def turn_for(workspace_id: int | None) -> mock._Call:
    """A turn sent, queued for a workspace's work (None: owed, for any)."""
    return mock.call(queue.TURN, workspace_id)


def charge(n: int) -> dict:
    paid = {**STRIPE_CHARGE["data"]["object"], "id": f"ch_{n}"}
    return {**STRIPE_CHARGE, "id": f"evt_{n}", "data": {"object": paid}}


def accept_many(client, source, count: int, first: int = 0) -> list[int]:
    return [post_webhook(client, source, charge(first + n)).json()["id"] for n in range(count)]


def ran(executions: list[Execution]) -> list[int]:
    return sorted(e.ingest_event_id for e in executions)


def workspace_of(executions: list[Execution]) -> set[int]:
    return {e.source.workspace_id for e in executions}


@pytest.fixture
def shares():
    """This process's shares, fresh: no thread busy, the thread count unknown."""
    fresh = Shares()
    with mock.patch.object(ingest.execute, "shares", fresh):
        yield fresh


@pytest.mark.django_db
@pytest.mark.usefixtures("no_queue", "shares")
class TestTurns:
    def test_while_a_flood_runs_the_next_turn_goes_to_another_workspace(self, client):
        flood, quiet = source_running(TRACK_AND_SET), source_running(TRACK_AND_SET)
        flooded = accept_many(client, flood, 30)  # two batches and more
        quiet_id = accept_many(client, quiet, 1, first=100)[0]
        meanwhile = []
        real = runtime.execute

        def another_thread_takes_a_turn(*, version, invocations):
            if version.pk == flood.version_id and not meanwhile:
                meanwhile.append(None)
                meanwhile[0] = services.ingest_events_execute_next()
            return real(version=version, invocations=invocations)

        with mock.patch("ingest.execute.runtime.execute", side_effect=another_thread_takes_a_turn):
            first = services.ingest_events_execute_next()
        assert ran(first) == flooded[: len(first)]  # the oldest work, as one batch
        # The flood still has older due events, but a claim running; the quiet one none.
        assert ran(meanwhile[0]) == [quiet_id]

    def test_workspaces_take_turns(self, client, settings):
        settings.INGEST_BATCH_MAX = 5
        sources = [source_running(TRACK_AND_SET) for _ in range(3)]
        for n, source in enumerate(sources):  # the first workspace's backlog is the oldest
            accept_many(client, source, 15 if n == 0 else 10, first=100 * n)
        served = [workspace_of(services.ingest_events_execute_next()) for _ in range(6)]
        assert served == [{s.workspace_id} for s in sources] * 2

    def test_a_turn_claims_one_version_and_leaves_the_rest_to_another_turn(self, client):
        source = source_running(TRACK_AND_SET)
        old = accept_many(client, source, 2)
        source.version = deploy_new_version(source, TRACK_AND_SET.replace("Charge", "Paid"))
        source.save(update_fields=["version"])
        new = accept_many(client, source, 2, first=10)
        first = services.ingest_events_execute_next()
        assert ran(first) == old
        # Passed on before the run.
        queue.broker.send.assert_called_once_with(queue.TURN, source.workspace_id)
        assert ran(services.ingest_events_execute_next()) == new

    def test_work_the_survey_did_not_see_gets_a_turn(self, client):
        """The survey of waiting workspaces is shared for a moment between turns: a
        workspace whose webhook came after it still gets the turn passed on, though
        the turn queued for that webhook may be this one."""
        first, later = source_running(TRACK_AND_SET), source_running(TRACK_AND_SET)
        accept_many(client, first, 1)
        surveyed = ({first.workspace_id: claims._Waiting(due=1, claims=0)}, False)
        later_id = accept_many(client, later, 1, first=100)[0]
        with mock.patch.object(claims._survey, "read", return_value=surveyed):
            services.ingest_events_execute_next()
        assert queue.broker.send.call_args_list == [turn_for(first.workspace_id)]
        assert ran(services.ingest_events_execute_next()) == [later_id]

    def test_a_turn_queued_for_a_webhook_the_survey_did_not_see_runs_it(self, client):
        """Or the flood in the survey would take the turn the quiet webhook queued, and
        the quiet one would wait for the flood's next."""
        flood, quiet = source_running(TRACK_AND_SET), source_running(TRACK_AND_SET)
        running, *backlog = accept_many(client, flood, 3)
        IngestEvent.objects.filter(pk=running).update(
            status=Status.RUNNING, claimed_at=timezone.now(), claim=uuid.uuid4()
        )
        stale = ({flood.workspace_id: claims._Waiting(due=2, claims=1)}, False)
        quiet_id = accept_many(client, quiet, 1, first=100)[0]
        real = claims._survey.read
        readings = mock.Mock(side_effect=[stale, real(timezone.now(), again=True)])
        with mock.patch.object(claims._survey, "read", readings):
            executions = services.ingest_events_execute_next(queued_for=quiet.workspace_id)
        assert ran(executions) == [quiet_id]
        assert readings.call_args_list[1].kwargs == {"again": True}

    def test_nothing_due_is_a_turn_that_does_nothing(self, client):
        source = source_running(TRACK_AND_SET)
        later = accept_many(client, source, 1)[0]
        IngestEvent.objects.filter(pk=later).update(
            status=Status.RETRYING, next_attempt_at=timezone.now() + timedelta(minutes=5)
        )
        assert services.ingest_events_execute_next() == []
        assert not queue.broker.send.called
        assert IngestEvent.objects.get(pk=later).status == Status.RETRYING

    def test_an_event_claimed_by_a_turn_is_not_run_again_by_its_named_task(self, client):
        source = source_running(TRACK_AND_SET)
        event_id = accept_many(client, source, 1)[0]
        assert ran(services.ingest_events_execute_next()) == [event_id]
        assert services.ingest_events_execute(ingest_event_ids=[event_id]) == []
        assert Execution.objects.filter(ingest_event_id=event_id).count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("no_queue")
class TestShares:
    def test_a_flood_leaves_a_thread_to_workspaces_that_run_nothing(self, client, shares):
        shares.count_threads_with(lambda: 4)
        flood, quiet = source_running(TRACK_AND_SET), source_running(TRACK_AND_SET)
        backlog = accept_many(client, flood, 3)
        for _ in range(3):  # three of the four threads run the flood's work
            assert shares.enter(flood.workspace_id)
        assert services.ingest_events_execute_next() == []  # the last one is not the flood's
        assert not queue.broker.send.called
        quiet_id = accept_many(client, quiet, 1, first=100)[0]
        assert ran(services.ingest_events_execute_next()) == [quiet_id]
        # Due work is left (the flood's), which another worker may take: passed on; and
        # it was turned away once here, so the thread that finished owes a turn.
        assert queue.broker.send.call_args_list == [turn_for(quiet.workspace_id), turn_for(None)]
        shares.leave(flood.workspace_id)
        assert ran(services.ingest_events_execute_next()) == backlog

    def test_on_a_reserved_thread_a_workspace_runs_one_event_at_a_time(self, client, shares):
        """A second flood may take the reserved thread (it runs nothing here yet), but
        one webhook at a time: a quiet workspace waits at most for one execution."""
        shares.count_threads_with(lambda: 4)
        flood, second = source_running(TRACK_AND_SET), source_running(TRACK_AND_SET)
        for _ in range(3):
            shares.enter(flood.workspace_id)
        backlog = accept_many(client, second, 3)
        assert ran(services.ingest_events_execute_next()) == backlog[:1]
        # The rest, to another turn.
        assert queue.broker.send.call_args_list == [turn_for(second.workspace_id)]

    def test_without_reserved_threads_a_flood_may_take_them_all(self, client, shares, settings):
        settings.INGEST_RESERVED_THREADS = 0
        shares.count_threads_with(lambda: 4)
        flood = source_running(TRACK_AND_SET)
        backlog = accept_many(client, flood, 2)
        for _ in range(3):
            shares.enter(flood.workspace_id)
        assert ran(services.ingest_events_execute_next()) == backlog

    def test_a_single_thread_is_never_reserved(self, client, shares):
        shares.count_threads_with(lambda: 1)
        flood = source_running(TRACK_AND_SET)
        backlog = accept_many(client, flood, 2)
        assert ran(services.ingest_events_execute_next()) == backlog

    def test_a_turn_gives_its_thread_back_when_the_run_fails(self, client, shares):
        shares.count_threads_with(lambda: 2)
        source = source_running(TRACK_AND_SET)
        accept_many(client, source, 1)
        with (
            mock.patch("ingest.execute.attempts_record", side_effect=RuntimeError("db gone")),
            pytest.raises(RuntimeError),
        ):
            services.ingest_events_execute_next()
        assert shares.busy() == {}

    def test_workers_count_their_threads_when_they_start(self, celery_worker):
        assert ingest.execute.shares.threads() == 2  # the embedded worker's


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_queue")
class TestTurnsOfAWorkspaceInAProcess:
    """Turns of one workspace beside each other in a process share its interpreter and
    its sandbox, and each takes as long as both would one after the other: a turn queued
    for a workspace whose turn runs here waits for it a moment."""

    def test_a_turn_queued_for_a_workspace_running_here_waits_for_it(self, client, shares):
        shares.count_threads_with(lambda: 4)
        source = source_running(TRACK_AND_SET)
        backlog = accept_many(client, source, 2)
        assert shares.enter(source.workspace_id)  # its turn runs on another thread
        executions = []
        waiting = database_thread(
            lambda: executions.extend(
                services.ingest_events_execute_next(queued_for=source.workspace_id)
            )
        )
        waiting.start()
        wait_for(lambda: not shares.wait_turn(source.workspace_id, 0), timeout=10)
        # A third turn queued meanwhile is not needed: the waiting one claims what is due.
        assert services.ingest_events_execute_next(queued_for=source.workspace_id) == []
        assert IngestEvent.objects.filter(status=Status.PENDING).count() == 2
        shares.leave(source.workspace_id)
        waiting.join(30)
        assert ran(executions) == backlog

    def test_it_waits_only_a_moment_for_a_slow_turn(self, client, shares):
        shares.count_threads_with(lambda: 4)
        source = source_running(TRACK_AND_SET)
        backlog = accept_many(client, source, 1)
        shares.enter(source.workspace_id)  # a turn of slow runs: it never leaves here
        assert ran(services.ingest_events_execute_next(queued_for=source.workspace_id)) == backlog

    def test_another_workspaces_turn_does_not_wait(self, shares):
        shares.enter(1)
        waited = []
        other = threading.Thread(target=lambda: waited.append(shares.wait_turn(2, 60)))
        other.start()
        other.join(10)
        assert waited == [True]  # went on to claim, long before the 60 s
        shares.leave(1)


@pytest.mark.django_db
@pytest.mark.usefixtures("no_queue")
def test_a_claim_waiting_behind_another_versions_record_is_not_taken_as_lost(client):
    """A batch of two versions: while the first is recorded (a big output can take longer
    than a claim lasts), the sweep hands the second to another worker. The second was
    not claimed yet, so the other worker runs it; it is not recorded as a lost worker."""
    source = source_running(TRACK_AND_SET)
    first = accept_many(client, source, 2)
    source.version = deploy_new_version(source, TRACK_AND_SET.replace("Charge", "Paid"))
    source.save(update_fields=["version"])
    second = accept_many(client, source, 2, first=10)
    real = ingest.execute.attempts_record
    swept = []

    def long_record(attempts, **kwargs):
        executions = real(attempts, **kwargs)
        if not swept:  # the record outlasted a claim; the sweep queued what was claimed
            swept.append(None)
            old = timezone.now() - services.claim_timeout() * 2
            IngestEvent.objects.filter(status=Status.RUNNING).update(claimed_at=old)
            swept[0] = services.ingest_events_execute(ingest_event_ids=second)
        return executions

    with mock.patch("ingest.execute.attempts_record", side_effect=long_record):
        services.ingest_events_execute(ingest_event_ids=first + second)
    assert ran(swept[0]) == second
    executions = Execution.objects.filter(ingest_event_id__in=first + second)
    assert sorted(executions.values_list("ingest_event_id", "status")) == [
        (pk, "succeeded") for pk in sorted(first + second)
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL's")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_queue")
def test_a_record_longer_than_its_claim_is_neither_taken_over_nor_waited_for(client, settings):
    settings.RUNNER_LIMITS = dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=100)
    settings.CLAIM_MARGIN_S = 0.0  # claims of 0.1 s
    source = source_running(TRACK_AND_SET)
    event_id = accept_many(client, source, 1)[0]
    recording, finish = threading.Event(), threading.Event()
    real = ingest.record.store_events

    def long_record(produced):
        recording.set()
        finish.wait(30)
        return real(produced)

    with mock.patch("ingest.record.store_events", side_effect=long_record):
        worker = database_thread(services.ingest_events_execute, ingest_event_ids=[event_id])
        worker.start()
        assert recording.wait(30)
        time.sleep(3 * services.claim_timeout().total_seconds())  # the claim is old now
        # the sweep's task, on another worker
        other = database_thread(services.ingest_events_execute, ingest_event_ids=[event_id])
        other.start()
        other.join(10)
        waited = other.is_alive()
        finish.set()
        worker.join(30)
        other.join(30)
    assert not waited  # skipped, not blocked behind the record's lock
    executions = Execution.objects.filter(ingest_event_id=event_id)
    assert list(executions.values_list("status", flat=True)) == ["succeeded"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_flood_does_not_hold_back_another_workspaces_webhook(client, celery_worker, settings):
    """Through the webhook URL and a real worker of two threads: a workspace posts a
    backlog of slow webhooks, then another workspace posts one. It runs on the thread the
    flood may not take, while most of the flood still waits (when tasks named their
    events, it waited behind all of them: first in, first out)."""
    settings.INGEST_DISPATCH_LINGER_MS = 0  # a task for (about) every webhook
    busy = "const started = Date.now(); while (Date.now() - started < 300) {}"
    slow = TRACK_AND_SET.replace("const body", f"{busy}\n  const body")
    flood, quiet = source_running(slow), source_running(TRACK_AND_SET)
    flooded = accept_many(client, flood, 16)
    quiet_id = accept_many(client, quiet, 1, first=100)[0]
    wait_for(lambda: finished(quiet_id), timeout=60)
    flood_finished = sum(finished(pk) for pk in flooded)
    assert flood_finished <= len(flooded) // 2
    wait_for(lambda: all(finished(pk) for pk in flooded), timeout=120)
    assert set(IngestEvent.objects.values_list("status", flat=True)) == {Status.SUCCEEDED}
