"""ingest_event_execute: run, record, store, and decide on retries and dead letters."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from ingest import services
from ingest.models import Execution, IngestEvent, StoredEvent, WarehouseObject
from tests.factories import SourceFactory
from tests.ingest.helpers import STRIPE_CHARGE, TRACK_AND_SET, post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]
Status = IngestEvent.Status


def accept(client, source, body=STRIPE_CHARGE) -> int:
    response = post_webhook(client, source, body)
    assert response.status_code == 200
    return response.json()["id"]


def due(event_id: int) -> int:
    """Time passes: the event's next attempt is due now."""
    IngestEvent.objects.filter(pk=event_id).update(next_attempt_at=timezone.now())
    return event_id


def throwing(error: str) -> str:
    return f"async function onRequest() {{ throw new {error}('no luck'); }}"


def test_a_successful_run_stores_events_and_objects(client):
    source = source_running(TRACK_AND_SET)
    event_id = accept(client, source)
    execution = services.ingest_event_execute(ingest_event_id=event_id)
    assert execution.status == Execution.Status.SUCCEEDED
    assert (execution.attempt, execution.event_count, execution.object_count) == (1, 1, 1)
    stored = StoredEvent.objects.get(source=source)
    assert stored.type == "track" and stored.message["event"] == "Charge Succeeded"
    assert stored.message["properties"] == {"amount": 20, "currency": "usd"}
    charge = WarehouseObject.objects.get(collection="charges", object_id="ch_3NG8")
    assert charge.properties == {"amount": 2000}
    assert IngestEvent.objects.get(pk=event_id).status == Status.SUCCEEDED


def test_a_finished_event_is_not_run_again(client):
    source = source_running(TRACK_AND_SET)
    event_id = accept(client, source)
    services.ingest_event_execute(ingest_event_id=event_id)
    assert services.ingest_event_execute(ingest_event_id=event_id) is None
    assert Execution.objects.count() == 1 and StoredEvent.objects.count() == 1


def test_a_rerun_after_a_lost_claim_stores_nothing_twice(client):
    """A worker died after storing; the sweep hands the event to another worker."""
    source = source_running(TRACK_AND_SET)
    event_id = accept(client, source)
    services.ingest_event_execute(ingest_event_id=event_id)
    IngestEvent.objects.filter(pk=event_id).update(
        status=Status.RUNNING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    lost = services.ingest_event_execute(ingest_event_id=event_id)
    assert (lost.attempt, lost.status) == (1, Execution.Status.RETRYING)
    assert lost.error["name"] == "WorkerLostError"
    retried = services.ingest_event_execute(ingest_event_id=due(event_id))
    assert retried.attempt == 2 and retried.status == Execution.Status.SUCCEEDED
    assert StoredEvent.objects.count() == 1  # the same message id, absorbed


def test_a_function_that_keeps_killing_its_worker_becomes_a_dead_letter(client):
    source = source_running(TRACK_AND_SET)
    event_id = accept(client, source)
    long_ago = timezone.now() - timedelta(hours=1)
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        # each attempt is claimed, then its worker dies before recording anything
        IngestEvent.objects.filter(pk=event_id).update(
            status=Status.RUNNING, claimed_at=long_ago, attempts=attempt
        )
        lost = services.ingest_event_execute(ingest_event_id=event_id)
        assert lost.attempt == attempt and lost.error["name"] == "WorkerLostError"
    assert lost.status == Execution.Status.FAILED
    assert IngestEvent.objects.get(pk=event_id).status == Status.FAILED


def test_a_running_event_is_not_taken_by_a_second_worker(client):
    source = source_running(TRACK_AND_SET)
    event_id = accept(client, source)
    IngestEvent.objects.filter(pk=event_id).update(status=Status.RUNNING, claimed_at=timezone.now())
    assert services.ingest_event_execute(ingest_event_id=event_id) is None


@pytest.mark.parametrize("error", ["RetryError", "TypeError", "Error"])
def test_retried_errors_schedule_another_attempt(client, error, no_queue, settings):
    settings.RETRY_BACKOFF_BASE_S = 4
    source = source_running(throwing(error))
    event_id = accept(client, source)
    with mock.patch("ingest.record.transaction.on_commit", lambda f, robust: f()):
        execution = services.ingest_event_execute(ingest_event_id=event_id)
    event = IngestEvent.objects.get(pk=event_id)
    assert execution.status == Execution.Status.RETRYING
    assert execution.error["name"] == error and "no luck" in execution.error["message"]
    assert event.status == Status.RETRYING
    delay = (event.next_attempt_at - timezone.now()).total_seconds()
    assert 1.5 < delay <= 4
    (args, kwargs) = no_queue.call_args
    assert args == (event_id,) and 2 <= kwargs["in_s"] <= 4
    assert not StoredEvent.objects.exists()


def test_a_timeout_is_retried(client):
    source = source_running("async function onRequest() { while (true) {} }")
    event_id = accept(client, source)
    execution = services.ingest_event_execute(ingest_event_id=event_id)
    assert execution.error["name"] == "TimeoutError"
    assert execution.status == Execution.Status.RETRYING


@pytest.mark.parametrize(
    "code",
    [
        throwing("ValidationError"),
        throwing("InvalidEventPayload"),
        throwing("EventNotSupported"),
        "async function onRequest() { return nope; }",  # ReferenceError
        "async function onRequest( {",  # SyntaxError
        "async function onRequest() { Segment.track({ event: 'x' }); }",  # no user id
    ],
)
def test_errors_that_would_fail_again_make_a_dead_letter_at_once(client, code):
    source = source_running(code)
    event_id = accept(client, source)
    execution = services.ingest_event_execute(ingest_event_id=event_id)
    assert execution.status == Execution.Status.FAILED
    event = IngestEvent.objects.get(pk=event_id)
    assert event.status == Status.FAILED and event.is_dead_letter and event.finished_at


def test_five_failed_attempts_make_a_dead_letter(client):
    source = source_running(throwing("RetryError"))
    event_id = accept(client, source)
    statuses = [
        services.ingest_event_execute(ingest_event_id=due(event_id)).status for _ in range(5)
    ]
    assert statuses == ["retrying"] * 4 + ["failed"]
    event = IngestEvent.objects.get(pk=event_id)
    assert event.status == Status.FAILED and event.attempts == services.MAX_ATTEMPTS
    assert list(event.executions.order_by("attempt").values_list("attempt", flat=True)) == [
        1, 2, 3, 4, 5,
    ]  # fmt: skip


def test_an_infrastructure_failure_is_recorded_and_retried(client):
    source = source_running(TRACK_AND_SET)
    event_id = accept(client, source)
    with mock.patch("ingest.execute.runtime.execute", side_effect=RuntimeError("V8 crashed")):
        execution = services.ingest_event_execute(ingest_event_id=event_id)
    assert execution.status == Execution.Status.RETRYING
    assert execution.error["name"] == "InfrastructureError"
    assert "RuntimeError" in execution.error["message"]
    assert "V8 crashed" not in execution.error["message"]


def test_console_logs_errors_and_settings_reach_the_execution(client):
    code = """
    async function onRequest(request, settings) {
      console.log('region', settings.region);
      throw new RetryError('upstream busy');
    }"""
    source = source_running(code, setting_values={"region": "eu"})
    execution = services.ingest_event_execute(ingest_event_id=accept(client, source))
    assert {"level": "log", "message": "region eu"} in [
        {"level": log["level"], "message": log["message"]} for log in execution.logs
    ]
    assert execution.error["line"] == 4


def test_the_backoff_grows_and_is_capped(settings):
    settings.RETRY_BACKOFF_BASE_S, settings.RETRY_BACKOFF_CAP_S = 2, 10
    with mock.patch("catalog.run_policy.random.uniform", return_value=1.0):
        delays = [services.backoff_seconds(n) for n in range(1, 6)]
    assert delays == [2, 4, 8, 10, 10]
    with mock.patch("catalog.run_policy.random.uniform", return_value=0.5):
        assert services.backoff_seconds(1) == 1


def test_output_that_cannot_be_stored_is_a_clear_dead_letter(client):
    code = """
    async function onRequest() {
      console.log('bytes \\u0000 here');
      Segment.track({ event: 'x', userId: 'u', messageId: 'm'.repeat(300) });
    }"""
    source = source_running(code)
    event_id = accept(client, source)
    execution = services.ingest_event_execute(ingest_event_id=event_id)
    assert execution.status == Execution.Status.FAILED
    assert execution.error["name"] == "OutputNotStored"
    assert "at most 200 characters" in execution.error["message"]
    assert "\x00" not in execution.logs[0]["message"]
    assert IngestEvent.objects.get(pk=event_id).status == Status.FAILED
    assert not StoredEvent.objects.exists()


def test_nul_characters_in_console_output_are_stored_replaced(client):
    code = "async function onRequest() { console.log('a\\u0000b'); }"
    execution = services.ingest_event_execute(ingest_event_id=accept(client, source_running(code)))
    assert execution.status == Execution.Status.SUCCEEDED
    assert execution.logs[0]["message"] == "a\ufffdb"


def test_an_early_duplicate_task_does_not_cut_the_backoff_short(client, settings):
    settings.RETRY_BACKOFF_BASE_S = 60
    source = source_running(throwing("RetryError"))
    event_id = accept(client, source)
    first = services.ingest_event_execute(ingest_event_id=event_id)
    assert first.status == Execution.Status.RETRYING
    assert services.ingest_event_execute(ingest_event_id=event_id) is None  # not due yet
    assert IngestEvent.objects.get(pk=event_id).attempts == 1


def test_secrets_that_no_longer_decrypt_fail_their_sources_runs_alone(client):
    """Secrets written under another key (a key changed by mistake): a turn still runs
    the version's other sources, and retries those runs as an error of ours."""
    broken = source_running(TRACK_AND_SET, secret_values={"apiKey": "k"})
    working = SourceFactory(function=broken.function, secret_values={"apiKey": "k"})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_source SET secret_values = %s WHERE id = %s",
            [b"written under another key", broken.pk],
        )
    ids = {accept(client, broken): "broken", accept(client, working): "working"}
    executions = services.ingest_events_execute_next()
    by_source = {ids[e.ingest_event_id]: e for e in executions}
    assert by_source["working"].status == Execution.Status.SUCCEEDED
    assert by_source["broken"].status == Execution.Status.RETRYING
    assert by_source["broken"].error["name"] == "InfrastructureError"
    assert "written under" not in json.dumps(by_source["broken"].error)
