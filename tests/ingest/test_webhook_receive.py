"""POST /hooks/<token>: what the sender hears, and what is kept."""

from unittest import mock

import pytest
from django.db import OperationalError

from ingest.models import IngestEvent
from tests.ingest.helpers import STRIPE_CHARGE, post_webhook, source_running

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return source_running("async function onRequest() {}")


def test_an_accepted_webhook_is_stored_before_the_answer(client, source):
    with mock.patch("ingest.queue.execute_soon") as queued:
        response = post_webhook(
            client, source, query="from=stripe&x=1", HTTP_STRIPE_SIGNATURE="t=1,v1=abc"
        )
    assert response.status_code == 200
    event = IngestEvent.objects.get(pk=response.json()["id"])
    assert event.source == source and event.version == source.version
    assert event.status == IngestEvent.Status.PENDING
    assert event.method == "POST" and event.query_string == "from=stripe&x=1"
    assert event.headers["Stripe-Signature"] == "t=1,v1=abc"
    assert b'"charge.succeeded"' in bytes(event.raw_body)
    queued.assert_not_called()  # only once the row is committed


def test_the_execution_is_queued_on_commit(client, source, django_capture_on_commit_callbacks):
    with (
        mock.patch("ingest.queue.execute_soon") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post_webhook(client, source)
    assert IngestEvent.objects.filter(pk=response.json()["id"]).exists()
    queued.assert_called_once_with(source.workspace_id)  # a turn for its workspace's work


def test_any_content_type_is_kept_raw(client, source):
    body = "Body=Hello+there&From=%2B15005550006"
    response = post_webhook(client, source, body, content_type="application/x-www-form-urlencoded")
    event = IngestEvent.objects.get(pk=response.json()["id"])
    assert bytes(event.raw_body) == body.encode()
    assert event.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_unknown_and_disabled_sources_get_the_same_404(client, source):
    unknown = client.post("/hooks/not-a-token", data="{}", content_type="application/json")
    source.enabled = False
    source.save(update_fields=["enabled"])
    disabled = post_webhook(client, source)
    assert unknown.status_code == disabled.status_code == 404
    assert unknown.json() == disabled.json() == {"error": "No source answers at this URL."}
    assert not IngestEvent.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_get_405_with_allow(client, source, method):
    response = getattr(client, method)(f"/hooks/{source.webhook_token}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "POST" in response.json()["error"]


def test_a_body_over_2_mb_gets_413(client, source):
    response = post_webhook(client, source, "x" * (2 * 1024 * 1024 + 1), content_type="text/plain")
    assert response.status_code == 413
    assert "2 MB" in response.json()["error"]
    assert not IngestEvent.objects.exists()


def test_a_body_of_exactly_2_mb_is_accepted(client, source):
    response = post_webhook(client, source, "x" * (2 * 1024 * 1024), content_type="text/plain")
    assert response.status_code == 200


def test_past_the_rate_limit_the_sender_gets_429(client, source, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 3
    with mock.patch("ingest.receive.rate_limit.time.time", return_value=1_700_000_000.0):
        answers = [post_webhook(client, source).status_code for _ in range(5)]
        refused = post_webhook(client, source)
    assert answers == [200, 200, 200, 429, 429]
    assert refused["Retry-After"] == "1"
    assert IngestEvent.objects.count() == 3


def test_the_rate_limit_is_per_source(client, source, settings):
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 1
    other = source_running("async function onRequest() {}")
    with mock.patch("ingest.receive.rate_limit.time.time", return_value=1_700_000_100.0):
        assert post_webhook(client, source).status_code == 200
        assert post_webhook(client, other).status_code == 200
        assert post_webhook(client, source).status_code == 429


def test_database_down_gives_503_and_writes_nothing(client, source):
    with mock.patch.object(
        IngestEvent.objects, "create", side_effect=OperationalError("connection refused")
    ):
        response = post_webhook(client, source)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "retry" in response.json()["error"]
    assert not IngestEvent.objects.exists()


def test_the_webhook_answer_does_not_need_a_csrf_token(source):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_webhook(strict, source, STRIPE_CHARGE).status_code == 200


@pytest.mark.parametrize("token", ["abc%00def", "a.b", "x" * 65])
def test_a_token_of_the_wrong_shape_is_simply_unknown(client, token):
    response = client.post(f"/hooks/{token}", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"error": "No source answers at this URL."}
