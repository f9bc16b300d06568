"""POST /hooks/<token> through the ASGI application, as Daphne serves it: the fast path
answers like the Django view and keeps the same row."""

import asyncio
import json
from unittest import mock

import pytest

from ingest.models import IngestEvent
from ingest.receive import group_commit
from tests.asgi import exchange
from tests.ingest.helpers import STRIPE_CHARGE, source_running

pytestmark = pytest.mark.django_db(transaction=True)


async def post(path: str, body: bytes, headers=(), method: str = "POST"):
    response = await exchange(
        method,
        path,
        body=body,
        headers=[(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
    )
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
    from channels.db import database_sync_to_async

    for method in ("POST", "GET", "DELETE"):
        status, _, body = await post("/hooks/not-a-token", b"{}", method=method)
        assert status == 404 and json.loads(body) == {"error": "No source answers at this URL."}
    src = await database_sync_to_async(source)()
    for method in ("GET", "PUT", "DELETE"):
        status, headers, body = await post(f"/hooks/{src.webhook_token}", b"", method=method)
        assert status == 405 and headers[b"allow"] == b"POST"
        assert json.loads(body) == {"error": f"This webhook URL accepts POST, not {method}."}


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
    with mock.patch.object(group_commit, "_write", side_effect=OperationalError("down")):
        status, headers, _ = await post(f"/hooks/{src.webhook_token}", b"{}")
    assert status == 503 and headers[b"retry-after"] == b"5"


async def test_a_responding_function_answers_through_the_fast_path(celery_worker):
    from channels.db import database_sync_to_async

    from tests.ingest.helpers import responding_source

    code = (
        "async function onRequest(request) {\n"
        "  const challenge = request.url.searchParams.get('hub.challenge');\n"
        "  if (request.method === 'GET') return new Response(challenge);\n"
        "  while (true) {}\n}"
    )
    src = await database_sync_to_async(responding_source)(code, methods=["POST", "GET"])
    status, headers, body = await post(
        f"/hooks/{src.webhook_token}?hub.mode=subscribe&hub.challenge=98765", b"", method="GET"
    )
    assert (status, body) == (200, b"98765")
    assert (
        headers[b"content-security-policy"]
        == b"sandbox; default-src 'none'; frame-ancestors 'none'"
    )
    assert headers[b"content-length"] == b"5"

    # A slow function's sender waits on threads of its own: other webhooks are stored
    # meanwhile, and it is answered within its time limit and a second.
    plain = await database_sync_to_async(source)()
    with mock.patch("ingest.queue.execute_soon"):
        started = asyncio.get_running_loop().time()
        slow = asyncio.create_task(post(f"/hooks/{src.webhook_token}", b"{}"))
        await asyncio.sleep(0.2)
        quick_started = asyncio.get_running_loop().time()
        assert (await post(f"/hooks/{plain.webhook_token}", b"{}"))[0] == 200
        assert asyncio.get_running_loop().time() - quick_started < 0.5
        assert (await slow)[0] == 500
        assert asyncio.get_running_loop().time() - started < 1.0 + 1.0 + 0.5
