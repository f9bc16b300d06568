# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Functions that respond to the sender: the webhook is stored, run at once by a real
worker on the interactive queue, recorded as any execution, and the sender gets what the
function returned, the usual answer, or a generic 500/503; methods the function does not
declare are a 405 with Allow."""

import time

import pytest

from ingest import queue
from ingest.models import Execution, IngestEvent, StoredEvent
from tests.ingest.helpers import finished, post_webhook, responding_source, source_running, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ECHO_CHALLENGE = """
async function onRequest(request, settings) {
  const q = request.url.searchParams;
  if (request.method === 'GET') {
    return new Response(q.get('hub.challenge'), { status: 200, headers: { 'Content-Type': 'text/plain' } });
  }
  const body = request.json();
  Segment.track({ event: 'Pinged', userId: body.user });
  if (body.answer === 'json') return Response.json({ received: true }, { status: 202 });
  if (body.answer === 'number') return 42;
  if (body.answer === 'cookie') return new Response('x', { headers: { 'Set-Cookie': 'session=stolen' } });
  if (body.answer === 'teapot') return { status: 100 };
  if (body.answer === 'huge') return { status: 200, body: 'x'.repeat(65 * 1024) };
  if (body.answer === 'fail') throw new RetryError('the CRM is down: token=s3cr3t');
  if (body.answer === 'spin') { while (true) {} }
}
"""


def get(client, source, query: str):
    return client.get(f"/hooks/{source.webhook_token}?{query}")


def execution_of(response) -> Execution:
    event = IngestEvent.objects.latest("pk")
    wait_for(lambda: Execution.objects.filter(ingest_event=event).exists())
    return Execution.objects.filter(ingest_event=event).latest("pk")


def test_a_get_with_hub_challenge_is_answered_with_the_challenge(client, celery_worker):
    # The first responding run of the suite may start the worker's sandbox (a second or
    # more on a busy machine): a limit that leaves the sender's wait room for it.
    source = responding_source(ECHO_CHALLENGE, methods=["POST", "GET"], time_limit_ms=5000)
    response = get(client, source, "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=t")
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"] == "text/plain"
    # Served from the product's origin, the function's answer is a sandbox without scripts.
    assert (
        response["Content-Security-Policy"] == "sandbox; default-src 'none'; frame-ancestors 'none'"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    event = IngestEvent.objects.get()
    assert (event.method, event.query_string, bytes(event.raw_body)) == (
        "GET", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=t", b""
    )  # fmt: skip
    execution = execution_of(response)
    assert execution.status == "succeeded" and execution.attempt == 1
    assert execution.response == {
        "status": 200,
        "headers": {"content-type": "text/plain"},
        "body": "1158201444",
    }


def answered(answer: str) -> float:
    from ingest.metrics import LOCAL

    return LOCAL.get_sample_value("sfi_webhook_responses_total", {"answer": answer}) or 0.0


def test_the_response_is_sent_and_the_events_are_recorded(client, celery_worker):
    source = responding_source(ECHO_CHALLENGE)
    before = answered("function")
    response = post_webhook(client, source, {"user": "u1", "answer": "json"})
    assert response.status_code == 202 and response.json() == {"received": True}
    assert answered("function") == before + 1
    execution = execution_of(response)
    assert execution.status == "succeeded" and execution.event_count == 1
    assert StoredEvent.objects.get(source=source).message["event"] == "Pinged"
    assert IngestEvent.objects.get().status == "succeeded"


def test_returning_nothing_gives_the_usual_answer(client, celery_worker):
    source = responding_source(ECHO_CHALLENGE)
    response = post_webhook(client, source, {"user": "u1"})
    assert response.status_code == 200
    event = IngestEvent.objects.get()
    assert response.json() == {"id": event.pk}
    assert execution_of(response).response is None


def test_what_is_not_a_response_gives_the_usual_answer_and_a_warning(client, celery_worker):
    source = responding_source(ECHO_CHALLENGE)
    response = post_webhook(client, source, {"user": "u1", "answer": "number"})
    assert response.status_code == 200 and response.json() == {"id": IngestEvent.objects.get().pk}
    execution = execution_of(response)
    assert execution.status == "succeeded" and execution.event_count == 1
    [warning] = [log["message"] for log in execution.logs if log["level"] == "warn"]
    assert warning.startswith("onRequest returned a number (42), which is not a response")


def test_a_failed_run_is_a_generic_500_and_the_webhook_is_kept(client, celery_worker, settings):
    settings.RETRY_BACKOFF_BASE_S = 0.01
    settings.RETRY_BACKOFF_CAP_S = 0.02
    source = responding_source(ECHO_CHALLENGE)
    response = post_webhook(client, source, {"user": "u1", "answer": "fail"})
    assert response.status_code == 500
    assert response.json() == {"error": "The function could not answer this request."}
    assert b"CRM" not in response.content and b"s3cr3t" not in response.content
    event = IngestEvent.objects.get()  # stored although the run failed
    # The retry policy applies to the recorded execution: five attempts, then a dead letter.
    wait_for(lambda: finished(event.pk))
    event.refresh_from_db()
    assert event.status == "failed" and event.attempts == 5
    first = event.executions.get(attempt=1)
    assert first.status == "retrying" and "the CRM is down" in first.error["message"]


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("cookie", "'set-cookie', which a function may not send"),
        ("teapot", "status must be from 200 to 599, not 100"),
        ("huge", "body is over 64 KB"),
    ],
)
def test_a_response_past_a_limit_is_a_500_and_an_error_in_the_execution(
    client, celery_worker, answer, says
):
    source = responding_source(ECHO_CHALLENGE)
    response = post_webhook(client, source, {"user": "u1", "answer": answer})
    assert response.status_code == 500 and "Set-Cookie" not in response
    execution = execution_of(response)
    assert execution.status == "failed"  # not retried: the same code would cross it again
    assert execution.error["name"] == "OutputLimitError" and says in execution.error["message"]
    assert not StoredEvent.objects.exists()


def test_a_run_past_its_time_limit_is_a_500_within_the_limit_and_a_second(client, celery_worker):
    # Longer than the default (1 s) and the sender's wait on it: the version's own limit
    # is the one that the run and the wait follow.
    source = responding_source(ECHO_CHALLENGE, time_limit_ms=2500)
    started = time.monotonic()
    response = post_webhook(client, source, {"user": "u1", "answer": "spin"})
    waited = time.monotonic() - started
    assert response.status_code == 500
    assert 2.5 <= waited < source.version.time_limit / 1000 + 1.0 + 0.5, waited
    assert execution_of(response).error["name"] == "TimeoutError"


def test_without_a_worker_the_sender_gets_503_in_time_and_the_webhook_runs_later(
    client, celery_worker, monkeypatch
):
    source = responding_source(ECHO_CHALLENGE)
    monkeypatch.setattr(queue, "INTERACTIVE", "a-queue-no-worker-consumes")
    started = time.monotonic()
    response = post_webhook(client, source, {"user": "u1", "answer": "json"})
    waited = time.monotonic() - started
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == {"error": "Temporarily unavailable; please retry."}
    assert waited < source.version.time_limit / 1000 + 1.0 + 0.5, waited
    # The row was stored first; once the sender stopped waiting it is due like any other.
    event = IngestEvent.objects.get()
    wait_for(lambda: finished(event.pk))
    assert StoredEvent.objects.get(source=source).message["event"] == "Pinged"


def test_undeclared_methods_are_405_with_allow(client, celery_worker):
    only_post = responding_source(ECHO_CHALLENGE)
    refused = get(client, only_post, "hub.challenge=1")
    assert refused.status_code == 405 and refused["Allow"] == "POST"
    assert refused.json() == {"error": "This webhook URL accepts POST, not GET."}
    with_get = responding_source(ECHO_CHALLENGE, methods=["GET", "POST"])
    refused = client.put(
        f"/hooks/{with_get.webhook_token}", data="{}", content_type="application/json"
    )
    assert refused.status_code == 405 and refused["Allow"] == "POST, GET"
    assert refused.json() == {"error": "This webhook URL accepts POST and GET, not PUT."}
    assert not IngestEvent.objects.exists()


def test_a_function_that_does_not_respond_answers_first_and_warns_of_its_response(
    client, celery_worker
):
    source = source_running(
        "async function onRequest() { return new Response('unheard', { status: 201 }); }"
    )
    response = post_webhook(client, source, {})
    event_id = response.json()["id"]
    assert response.status_code == 200
    wait_for(lambda: finished(event_id))
    execution = Execution.objects.get(ingest_event_id=event_id)
    assert execution.response is None
    assert any("does not respond to the sender" in log["message"] for log in execution.logs)


def test_the_logs_api_shows_what_the_sender_got(client, celery_worker, workspace, owner_api):
    source = responding_source(ECHO_CHALLENGE, methods=["POST", "GET"], workspace=workspace)
    assert get(client, source, "hub.challenge=7").content == b"7"
    logs = owner_api.get(f"/api/v1/workspaces/{workspace.slug}/sources/{source.slug}/logs/").json()
    [execution] = logs["results"]
    assert execution["response"] == {
        "status": 200,
        "headers": {"content-type": "text/plain"},
        "body": "7",
    }


def test_a_sender_whose_wait_is_over_before_a_thread_is_free_gets_503_without_a_run(monkeypatch):
    from unittest import mock

    from ingest.receive import IncomingWebhook, webhook_accept
    from ingest.receive.respond import Responding

    source = responding_source(ECHO_CHALLENGE)
    webhook = IncomingWebhook("POST", "/hooks/x", "", {}, b'{"user": "u1"}')
    accepted = webhook_accept(token=source.webhook_token, webhook=webhook)
    held_until = accepted.event.next_attempt_at
    assert held_until > accepted.event.received_at  # held back from turns for its sender
    with (
        mock.patch.object(queue, "broker") as broker,
        mock.patch.object(queue, "execute_soon") as soon,
    ):
        answer = Responding(accepted, deadline=time.monotonic() - 0.1).wait()
    assert answer.status == 503 and not broker.ask.called
    soon.assert_called_once_with(source.workspace_id)  # a turn for its workspace
    event = IngestEvent.objects.get()  # stored, and due now for a turn
    assert event.status == "pending" and event.next_attempt_at < held_until


def test_a_204_goes_without_a_body():
    from ingest.receive.respond import function_answer

    answer = function_answer({"status": 204, "headers": {}, "body": "ignored"})
    assert (answer.status, answer.body) == (204, b"")
    answer = function_answer(
        {"status": 200, "headers": {"content-type": "text/xml"}, "body": "<R/>"}
    )
    assert answer.body == b"<R/>" and answer.headers["Content-Type"] == "text/xml"
    assert "content-type" not in answer.headers  # the function's own, not a second one
