"""ingest_events_execute: events queued together run as batches, one per version, and
each is recorded as if it had run alone."""

import dataclasses
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ingest import services
from ingest.execute import batch_size, runtime
from ingest.models import (
    Delivery,
    Destination,
    Execution,
    IngestEvent,
    ObjectChange,
    StoredEvent,
    WarehouseObject,
)
from tests.factories import SourceFactory
from tests.ingest.helpers import (
    STRIPE_CHARGE,
    TRACK_AND_SET,
    deploy_new_version,
    post_webhook,
    source_running,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]
Status = IngestEvent.Status


def charge(n: int, amount: int = 2000) -> dict:
    return {
        **STRIPE_CHARGE,
        "id": f"evt_{n}",
        "data": {
            "object": {"id": f"ch_{n}", "amount": amount, "currency": "usd", "customer": "cus_1"}
        },
    }


def accept_many(client, source, count: int, body=charge) -> list[int]:
    return [post_webhook(client, source, body(n)).json()["id"] for n in range(count)]


@pytest.fixture
def runs():
    """Every call the ingest app makes to the runner, with how many it ran."""
    calls = []
    real = runtime.execute

    def spy(*, version, invocations):
        calls.append((version.pk, len(invocations)))
        return real(version=version, invocations=invocations)

    with mock.patch("ingest.execute.runtime.execute", side_effect=spy):
        yield calls


def test_events_of_one_version_run_in_one_batch(client, runs):
    source = source_running(TRACK_AND_SET)
    ids = accept_many(client, source, 12)
    executions = services.ingest_events_execute(ingest_event_ids=ids)
    assert runs == [(source.version_id, 12)]
    assert sorted(e.ingest_event_id for e in executions) == sorted(ids)
    assert [(e.status, bool(e.pk)) for e in executions] == [("succeeded", True)] * 12
    assert StoredEvent.objects.filter(source=source).count() == 12
    assert WarehouseObject.objects.count() == 12 and ObjectChange.objects.count() == 12
    assert set(IngestEvent.objects.values_list("status", flat=True)) == {Status.SUCCEEDED}


def test_each_execution_keeps_its_own_output_and_start(client, runs):
    source = source_running(TRACK_AND_SET)
    ids = accept_many(client, source, 3)
    services.ingest_events_execute(ingest_event_ids=ids)
    for event_id in ids:
        stored = StoredEvent.objects.get(ingest_event_id=event_id)
        event = IngestEvent.objects.get(pk=event_id)
        assert stored.message["properties"]["amount"] == 20
        assert stored.ingest_event_id == event.pk
    starts = list(
        Execution.objects.order_by("ingest_event_id").values_list("started_at", flat=True)
    )
    assert starts == sorted(starts)  # in a batch, one after another


def test_events_of_several_versions_run_in_a_batch_each(client, runs):
    source = source_running(TRACK_AND_SET)
    old = accept_many(client, source, 3)
    version = deploy_new_version(source, TRACK_AND_SET.replace("Charge Succeeded", "Paid"))
    source.version = version
    source.save(update_fields=["version"])
    new = accept_many(client, source, 2, body=lambda n: charge(n + 10))
    services.ingest_events_execute(ingest_event_ids=[old[0], new[0], old[1], new[1], old[2]])
    assert sorted(runs) == sorted([(old_version(old[0]), 3), (version.pk, 2)])
    assert StoredEvent.objects.filter(message__event="Paid").count() == 2
    assert StoredEvent.objects.filter(message__event="Charge Succeeded").count() == 3


def old_version(event_id: int) -> int:
    return IngestEvent.objects.get(pk=event_id).version_id


def test_a_batch_is_never_larger_than_its_claims_allow(client, runs, settings):
    settings.RUNNER_LIMITS = dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=1000)
    settings.CLAIM_MARGIN_S = 9.0  # 10 s of claim
    assert batch_size() == 4  # each execution may take about 2.1 s
    source = source_running(TRACK_AND_SET)
    services.ingest_events_execute(ingest_event_ids=accept_many(client, source, 10))
    assert [count for _, count in runs] == [4, 4, 2]
    settings.INGEST_BATCH_MAX = 3
    assert batch_size() == 3


def test_queries_do_not_grow_with_the_batch(client, settings):
    settings.CLAIM_MARGIN_S = 120.0  # room for a batch of 30
    source = source_running(TRACK_AND_SET.replace("Segment.set", "void"))
    few, many = accept_many(client, source, 2), accept_many(client, source, 30)
    with CaptureQueriesContext(connection) as for_few:
        services.ingest_events_execute(ingest_event_ids=few)
    with CaptureQueriesContext(connection) as for_many:
        services.ingest_events_execute(ingest_event_ids=many)
    assert len(for_many) == len(for_few) <= 16


def test_one_unstorable_output_fails_only_its_own_event(client):
    code = """async function onRequest(request) {
      const id = request.json().id;
      const messageId = id === 'evt_1' ? 'x'.repeat(300) : id;
      Segment.track({ event: 'Seen', userId: 'u', messageId });
    }"""
    source = source_running(code)
    ids = accept_many(client, source, 3)
    executions = {
        e.ingest_event_id: e for e in services.ingest_events_execute(ingest_event_ids=ids)
    }
    assert executions[ids[1]].status == Execution.Status.FAILED
    assert executions[ids[1]].error["name"] == "OutputNotStored"
    assert [executions[i].status for i in (ids[0], ids[2])] == ["succeeded", "succeeded"]
    assert sorted(StoredEvent.objects.values_list("message_id", flat=True)) == ["evt_0", "evt_2"]


def test_finished_running_and_lost_events_in_one_task(client, runs):
    source = source_running(TRACK_AND_SET)
    done, running, lost, fresh = accept_many(client, source, 4)
    services.ingest_event_execute(ingest_event_id=done)
    IngestEvent.objects.filter(pk=running).update(status=Status.RUNNING, claimed_at=timezone.now())
    IngestEvent.objects.filter(pk=lost).update(
        status=Status.RUNNING, attempts=1, claimed_at=timezone.now() - timedelta(hours=1)
    )
    runs.clear()
    executions = services.ingest_events_execute(ingest_event_ids=[done, running, lost, fresh])
    by_event = {e.ingest_event_id: e for e in executions}
    assert set(by_event) == {lost, fresh}
    assert by_event[lost].error["name"] == "WorkerLostError"
    assert by_event[lost].status == Execution.Status.RETRYING
    assert by_event[fresh].status == Execution.Status.SUCCEEDED
    assert runs == [(source.version_id, 1)]  # only the fresh one ran
    assert IngestEvent.objects.get(pk=running).status == Status.RUNNING


def test_retries_and_dead_letters_in_a_batch_are_decided_one_by_one(
    client, no_queue, django_capture_on_commit_callbacks
):
    code = """async function onRequest(request) {
      const amount = request.json().data.object.amount;
      if (amount === 1) throw new RetryError('later');
      if (amount === 2) throw new ValidationError('never');
      Segment.track({ event: 'Paid', userId: 'u' });
    }"""
    source = source_running(code)
    ids = [post_webhook(client, source, charge(n, amount=n + 1)).json()["id"] for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        executions = services.ingest_events_execute(ingest_event_ids=ids)
    statuses = {e.ingest_event_id: e.status for e in executions}
    assert [statuses[i] for i in ids] == ["retrying", "failed", "succeeded"]
    no_queue.assert_called_once()  # the retry of the first, with its backoff
    assert no_queue.call_args.args == (ids[0],) and no_queue.call_args.kwargs["in_s"] > 0
    # Each event's row is closed as its own attempt decided, in one statement.
    rows = IngestEvent.objects.in_bulk(ids)
    retried, dead, done = (rows[i] for i in ids)
    assert (retried.status, retried.finished_at) == (Status.RETRYING, None)
    assert retried.next_attempt_at > timezone.now()
    assert dead.status == Status.FAILED and dead.finished_at is not None
    assert done.status == Status.SUCCEEDED and done.finished_at is not None


def test_deliveries_are_added_for_events_that_produced_something(
    client, django_capture_on_commit_callbacks
):
    source = source_running(TRACK_AND_SET)
    other = source_running(TRACK_AND_SET)  # its workspace has no destination
    destination = Destination.objects.create(
        workspace=source.workspace, name="Collector", kind="segment",
        config={"preset": "custom", "base_url": "http://collector"},
        credentials={"write_key": "k"},
    )  # fmt: skip
    ids = accept_many(client, source, 3) + accept_many(client, other, 1)
    with (
        mock.patch("ingest.queue.deliver_soon") as turns,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.ingest_events_execute(ingest_event_ids=ids)
    delivered = Delivery.objects.values_list("ingest_event_id", flat=True)
    assert sorted(delivered) == sorted(ids[:3])
    turns.assert_called_once_with(destination.pk)


def test_a_run_that_outlived_its_claim_records_nothing(client):
    """The sweep handed the events to another worker while this batch still ran: its
    results are dropped rather than recorded twice."""
    source = source_running(TRACK_AND_SET)
    taken, kept = accept_many(client, source, 2)
    real = runtime.execute

    def slow(*, version, invocations):
        outcomes = real(version=version, invocations=invocations)
        IngestEvent.objects.filter(pk=taken).update(claim=uuid.uuid4())  # another worker's
        return outcomes

    with mock.patch("ingest.execute.runtime.execute", side_effect=slow):
        executions = services.ingest_events_execute(ingest_event_ids=[taken, kept])
    assert [e.ingest_event_id for e in executions] == [kept]
    assert not Execution.objects.filter(ingest_event_id=taken).exists()
    assert not StoredEvent.objects.filter(ingest_event_id=taken).exists()
    assert IngestEvent.objects.get(pk=taken).status == Status.RUNNING  # the other's to finish


def test_a_source_deleted_mid_batch_costs_only_its_own_events(client):
    function_source = source_running(TRACK_AND_SET)
    other = SourceFactory(function=function_source.function, version=function_source.version)
    kept, gone = accept_many(client, function_source, 1) + accept_many(client, other, 1)
    real = runtime.execute

    def deleting(*, version, invocations):
        outcomes = real(version=version, invocations=invocations)
        other.delete()
        return outcomes

    with mock.patch("ingest.execute.runtime.execute", side_effect=deleting):
        executions = services.ingest_events_execute(ingest_event_ids=[kept, gone])
    assert [e.ingest_event_id for e in executions] == [kept]
    assert IngestEvent.objects.get(pk=kept).status == Status.SUCCEEDED


def test_settings_that_cannot_be_read_fail_the_run_not_the_claim(client):
    source = source_running(TRACK_AND_SET)
    ids = accept_many(client, source, 2)
    with mock.patch("ingest.execute.source_runtime_settings", side_effect=ValueError("bad key")):
        executions = services.ingest_events_execute(ingest_event_ids=ids)
    assert [e.error["name"] for e in executions] == ["InfrastructureError"] * 2
    assert set(IngestEvent.objects.values_list("status", flat=True)) == {Status.RETRYING}


def test_a_turn_takes_the_same_few_statements_however_many_it_runs(client, settings):
    """Each statement of a turn is a round trip to the database, and on a busy machine a
    wait for its process: on PostgreSQL a turn claims in one (pick, take, the look for
    more due work, the relaxed commit) and closes its events in one."""
    settings.CLAIM_MARGIN_S = 120.0  # room for a batch of 30
    source = source_running(TRACK_AND_SET.replace("Segment.set", "void"))
    turns = []
    for count in (1, 30):
        accept_many(client, source, count)
        with CaptureQueriesContext(connection) as statements:
            assert len(services.ingest_events_execute_next()) == count
        turns.append([q["sql"].split()[0] for q in statements if counted(q["sql"])])
    assert turns[0] == turns[1]
    if connection.vendor == "postgresql":
        # The claim, the version, the sources; the record's close and its destinations
        # (its inserts go apart from the ORM, unlogged).
        assert turns[0] == ["WITH", "SELECT", "SELECT", "UPDATE", "SELECT"]


def counted(statement: str) -> bool:
    """Not the record's transaction control (a savepoint within the test's own), nor
    the survey of waiting workspaces: a turn reads it when its last reading is older
    than a few tens of milliseconds, whatever the turn's size."""
    first = statement.split()[0]
    return first not in TRANSACTION_CONTROL and not statement.startswith(SURVEY)


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}
SURVEY = "SELECT s.workspace_id, COUNT(e.id)"
