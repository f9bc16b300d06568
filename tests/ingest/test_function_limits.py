"""A function's time limit and retry policy, through the webhook URL: each event runs
with its version's limit, is retried by its version's policy on its schedule, and its
dead letter says which policy applied and why it stopped."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from catalog.run_policy import RetryOn
from ingest import services
from ingest.models import Execution, IngestEvent
from tests.factories import SourceFactory, deployed_function
from tests.ingest.helpers import post_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]
Status = IngestEvent.Status
WAITING = """async function onRequest() {
  await new Promise((resolve) => setTimeout(resolve, 1300));
  Segment.track({ event: 'Slow', userId: 'u' });
}"""


def throwing(error: str) -> str:
    return f"async function onRequest() {{ throw new {error}('no luck'); }}"


def source_of(code: str, workspace=None, **policy):
    extra = {"workspace": workspace} if workspace is not None else {}
    return SourceFactory(function=deployed_function(draft_code=code, **policy, **extra))


def run_webhook(client, source) -> Execution:
    response = post_webhook(client, source, {"id": "evt_1"})
    assert response.status_code == 200
    return services.ingest_event_execute(ingest_event_id=response.json()["id"])


def again(execution: Execution) -> Execution:
    """Time passes: its next attempt is due, and runs."""
    event_id = execution.ingest_event_id
    IngestEvent.objects.filter(pk=event_id).update(next_attempt_at=timezone.now())
    return services.ingest_event_execute(ingest_event_id=event_id)


@pytest.fixture(autouse=True)
def _product_defaults(settings):
    settings.RETRY_BACKOFF_BASE_S, settings.RETRY_BACKOFF_CAP_S = 300.0, 1200.0


def test_a_source_runs_with_its_version_s_time_limit(client):
    patient = source_of(WAITING, time_limit_ms=3000)
    assert run_webhook(client, patient).status == Execution.Status.SUCCEEDED
    default = source_of(WAITING)
    stopped = run_webhook(client, default)
    assert stopped.error["message"] == "the function ran longer than its 1000 ms limit"


def test_a_limit_saved_in_the_draft_leaves_the_running_version_alone(client):
    source = source_of(WAITING)
    function = source.function
    function.time_limit_ms = 3000
    function.save(update_fields=["time_limit_ms"])  # the draft: version 1 keeps its second
    assert run_webhook(client, source).error["name"] == "TimeoutError"


@pytest.mark.parametrize(
    ("error", "retried"),
    [("RetryError", True), ("TypeError", False), ("Error", False), ("ValidationError", False)],
)
def test_retry_error_and_timeouts_only_retries_just_those(client, error, retried):
    source = source_of(throwing(error), retry_on=RetryOn.RETRY_ERROR_AND_TIMEOUTS)
    execution = run_webhook(client, source)
    expected = Execution.Status.RETRYING if retried else Execution.Status.FAILED
    assert execution.status == expected


def test_retry_error_and_timeouts_only_retries_a_timeout(client):
    source = source_of(
        "async function onRequest() { while (true) {} }",
        retry_on=RetryOn.RETRY_ERROR_AND_TIMEOUTS,
        time_limit_ms=200,
    )
    execution = run_webhook(client, source)
    assert (execution.error["name"], execution.status) == ("TimeoutError", "retrying")


def test_a_lost_worker_is_retried_under_either_policy(client):
    source = source_of(throwing("TypeError"), retry_on=RetryOn.RETRY_ERROR_AND_TIMEOUTS)
    event_id = post_webhook(client, source, {"id": "evt_1"}).json()["id"]
    long_ago = timezone.now() - timedelta(hours=1)
    IngestEvent.objects.filter(pk=event_id).update(status=Status.RUNNING, claimed_at=long_ago)
    lost = services.ingest_event_execute(ingest_event_id=event_id)
    assert (lost.error["name"], lost.status) == ("WorkerLostError", "retrying")


def test_any_failure_retries_every_error_but_the_function_s_verdicts(client):
    retried = run_webhook(client, source_of(throwing("TypeError")))
    verdict = run_webhook(client, source_of(throwing("InvalidEventPayload")))
    assert (retried.status, verdict.status) == ("retrying", "failed")


def test_the_attempts_are_the_function_s_own(client):
    execution = run_webhook(client, source_of(throwing("RetryError"), retry_attempts=2))
    assert execution.status == "retrying"
    last = again(execution)
    assert (last.attempt, last.status) == (2, "failed")
    assert IngestEvent.objects.get(pk=last.ingest_event_id).status == Status.FAILED


def test_one_attempt_means_no_retry(client):
    execution = run_webhook(client, source_of(throwing("RetryError"), retry_attempts=1))
    assert execution.status == "failed"


def test_retries_wait_by_the_function_s_schedule(client, no_queue):
    source = source_of(throwing("RetryError"), retry_first_delay_s=10, retry_max_delay_s=15)
    with mock.patch("ingest.record.transaction.on_commit", lambda f, robust: f()):
        first = run_webhook(client, source)
        waits = [no_queue.call_args.kwargs["in_s"]]
        again(first)
        waits.append(no_queue.call_args.kwargs["in_s"])
        again(first)
        waits.append(no_queue.call_args.kwargs["in_s"])
    assert 8 <= waits[0] <= 10  # the first delay, less by up to 20 %
    assert 12 <= waits[1] <= 15 and 12 <= waits[2] <= 15  # doubled, capped at 15 s
    event = IngestEvent.objects.get(pk=first.ingest_event_id)
    assert 11 < (event.next_attempt_at - timezone.now()).total_seconds() <= 15


def test_the_default_schedule_spans_about_an_hour(client, no_queue):
    source = source_of(throwing("RetryError"))
    policy = source.version.retry_policy
    assert (policy.retry_on, policy.attempts) == ("any_failure", 5)
    assert policy.waits_s() == [300, 600, 1200, 1200]  # 55 min, jittered down to 44
    with mock.patch("ingest.record.transaction.on_commit", lambda f, robust: f()):
        run_webhook(client, source)
    assert 240 <= no_queue.call_args.kwargs["in_s"] <= 300


def test_a_dead_letter_shows_the_policy_that_applied_and_why_it_stopped(
    client, workspace, owner_api
):
    narrow = source_of(
        throwing("TypeError"), workspace, retry_on=RetryOn.RETRY_ERROR_AND_TIMEOUTS,
        time_limit_ms=4000,
    )  # fmt: skip
    run_webhook(client, narrow)
    tired = source_of(throwing("RetryError"), workspace, retry_attempts=2, retry_first_delay_s=60)
    again(run_webhook(client, tired))

    letters = {
        source.slug: owner_api.get(
            f"/api/v1/workspaces/acme/sources/{source.slug}/dead-letters/"
        ).json()["results"][0]
        for source in (narrow, tired)
    }  # fmt: skip
    first = letters[narrow.slug]
    assert (first["version"], first["time_limit_ms"]) == (1, 4000)
    assert first["retry_policy"]["retry_on"] == "retry_error_and_timeouts"
    assert first["reason"] == (
        "TypeError is not retried: this function retries only on RetryError and timeouts."
    )
    second = letters[tired.slug]
    assert second["retry_policy"]["waits_s"] == [60.0]
    assert second["retry_policy"]["summary"].startswith("Any failure: 2 attempts, waiting 1 min")
    assert second["reason"] == "All 2 attempts failed; the last with RetryError."
