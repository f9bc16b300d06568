"""POST /hooks/<token> through the ASGI application, as Daphne serves it: the fast path
answers like the Django view and keeps the same row."""

import json
from unittest import mock

import pytest
from channels.testing import HttpCommunicator

from functions_ide.asgi import application
from ingest.models import IngestEvent
from tests.ingest.helpers import STRIPE_CHARGE, source_running

pytestmark = pytest.mark.django_db(transaction=True)


async def post(path: str, body: bytes, headers=(), method: str = "POST"):
    communicator = HttpCommunicator(
        application,
        method,
        path,
        body=body,
        headers=[(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
    )
    response = await communicator.get_response(timeout=10)
    headers = {name.lower(): value for name, value in response["headers"]}
    return response["status"], headers, response["body"]


def source():
    return source_running("async function onRequest() {}")


async def test_an_accepted_webhook_is_stored_with_its_headers_and_query():
    from channels.db import database_sync_to_async

    src = await database_sync_to_async(source)()
    with mock.patch("ingest.queue.execute_soon"):
        status, headers, body = await post(
            f"/hooks/{src.webhook_token}?from=stripe",
            json.dumps(STRIPE_CHARGE).encode(),
            [(b"stripe-signature", b"t=1,v1=abc"), (b"x-github-event", b"push")],
        )
    assert status == 200 and headers[b"content-type"] == b"application/json"
    event = await database_sync_to_async(IngestEvent.objects.get)(pk=json.loads(body)["id"])
    assert event.query_string == "from=stripe" and event.method == "POST"
    assert event.headers["Stripe-Signature"] == "t=1,v1=abc"
    assert event.headers["X-Github-Event"] == "push"  # the name Django's view would keep
    assert bytes(event.raw_body) == json.dumps(STRIPE_CHARGE).encode()


async def test_unknown_tokens_and_other_methods_answer_as_the_view_does():
    status, _, body = await post("/hooks/not-a-token", b"{}")
    assert status == 404 and json.loads(body) == {"error": "No source answers at this URL."}
    status, headers, _ = await post("/hooks/whatever", b"", method="GET")
    assert status == 405 and headers[b"allow"] == b"POST"


async def test_the_rate_limit_and_the_database_outage_answers(settings):
    from channels.db import database_sync_to_async
    from django.db import OperationalError

    src = await database_sync_to_async(source)()
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 1
    with (
        mock.patch("ingest.queue.execute_soon"),
        mock.patch("ingest.receive.rate_limit.time.time", return_value=1_700_000_000.0),
    ):
        assert (await post(f"/hooks/{src.webhook_token}", b"{}"))[0] == 200
        status, headers, _ = await post(f"/hooks/{src.webhook_token}", b"{}")
    assert status == 429 and headers[b"retry-after"] == b"1"
    with mock.patch.object(IngestEvent.objects, "create", side_effect=OperationalError("down")):
        status, headers, _ = await post(f"/hooks/{src.webhook_token}", b"{}")
    assert status == 503 and headers[b"retry-after"] == b"5"
