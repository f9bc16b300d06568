"""POST (or PUT, PATCH, GET) /hooks/test/<token>: the request is stored as a capture of
the function, never executed; the newest 50 are kept; the webhook endpoint's size rules
apply, and it takes every method a function may accept."""

import json

import pytest

from ingest import catcher
from ingest.models import Capture, IngestEvent
from tests.ingest.live_world import make_function, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def token(world):
    return catcher.catcher_for_function(function=world.function).token


def post(client, token, body=b'{"type": "ping"}', content_type="application/json", **extra):
    return client.generic(
        "POST", f"/hooks/test/{token}?x=1", body, content_type=content_type, **extra
    )


def test_a_post_is_captured_and_not_executed(client, world, token):
    response = post(client, token, HTTP_STRIPE_SIGNATURE="t=1,v1=abc")
    assert response.status_code == 200
    capture = Capture.objects.get(pk=response.json()["id"])
    assert capture.function == world.function
    assert (capture.method, capture.path, capture.query_string) == (
        "POST", f"/hooks/test/{token}", "x=1"
    )  # fmt: skip
    assert capture.headers["Stripe-Signature"] == "t=1,v1=abc"
    assert bytes(capture.raw_body) == b'{"type": "ping"}'
    assert not IngestEvent.objects.exists()


def test_the_capture_is_pushed_once_committed(client, token, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        post(client, token)
    assert len(callbacks) == 1


def test_only_the_newest_50_are_kept(client, world, token):
    for n in range(Capture.KEEP + 3):
        post(client, token, json.dumps({"n": n}).encode())
    kept = [json.loads(bytes(c.raw_body))["n"] for c in catcher.captures_of(world.function.pk)]
    assert kept == list(range(Capture.KEEP + 2, 2, -1))


def test_the_catcher_is_per_function(client, world, token):
    other = make_function(world.workspace, slug="github")
    other_token = catcher.catcher_for_function(function=other).token
    assert other_token != token
    post(client, other_token)
    assert list(Capture.objects.values_list("function", flat=True)) == [other.pk]


def test_unknown_token_is_a_json_404(client, world):
    response = post(client, "no-such-token")
    assert response.status_code == 404
    assert response.json() == {"error": "No function catches requests at this URL."}


def test_a_source_token_is_not_a_catcher_token(client, world):
    assert post(client, world.source.webhook_token).status_code == 404
    assert not IngestEvent.objects.exists()


def test_a_get_is_captured_with_its_query_and_no_body(client, world, token):
    # Senders that verify a URL with a GET (Meta's hub.challenge) are caught too.
    response = client.generic(
        "GET", f"/hooks/test/{token}?hub.mode=subscribe&hub.challenge=42", b"ignored"
    )
    assert response.status_code == 200
    capture = Capture.objects.get(pk=response.json()["id"])
    assert (capture.method, capture.query_string) == ("GET", "hub.mode=subscribe&hub.challenge=42")
    assert bytes(capture.raw_body) == b""
    request = catcher.capture_payload(capture)["request"]
    assert request["method"] == "GET" and request["url"].endswith(
        "?hub.mode=subscribe&hub.challenge=42"
    )


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_every_method_a_function_may_accept_is_captured(client, token, method):
    response = client.generic(
        method, f"/hooks/test/{token}", b"{}", content_type="application/json"
    )
    assert response.status_code == 200
    assert Capture.objects.get().method == method


@pytest.mark.parametrize("method", ["DELETE", "OPTIONS", "HEAD"])
def test_other_methods_are_405_with_allow(client, token, method):
    response = client.generic(method, f"/hooks/test/{token}")
    assert response.status_code == 405 and response["Allow"] == "POST, PUT, PATCH, GET"
    assert not Capture.objects.exists()
    if method != "HEAD":
        words = f"This test URL accepts POST, PUT, PATCH and GET, not {method}."
        assert response.json() == {"error": words}


def test_bodies_over_the_limit_are_413(client, token, settings):
    settings.WEBHOOK_MAX_BYTES = 100
    response = post(client, token, b"x" * 101, content_type="text/plain")
    assert response.status_code == 413
    assert "limit" in response.json()["error"]
    assert not Capture.objects.exists()


def test_the_asgi_guard_caps_the_test_url_too():
    from ingest.receive.asgi import WebhookBodyLimit

    assert "/hooks/test/abc".startswith(WebhookBodyLimit(None).prefix)
