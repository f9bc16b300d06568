"""Slow senders: a webhook body that trickles in is cut off after WEBHOOK_BODY_TIMEOUT_S
with a 408, and at most WEBHOOK_MAX_PENDING_BODIES bodies are read at once, so 2,000
trickling connections cannot hold 2,000 bodies' worth of memory or wait forever."""

import asyncio
import json

from ingest.receive.asgi import WebhookBodyLimit
from tests.ingest.test_webhook_body_limit import Inner, call, scope


def trickle(first: bytes = b'{"a"'):
    """A body whose first bytes arrive and whose rest never does."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": first, "more_body": True}
        await asyncio.sleep(3600)

    return receive


def status_of(sent) -> int:
    return sent[0]["status"]


async def test_a_body_that_never_ends_gets_a_408(settings):
    settings.WEBHOOK_BODY_TIMEOUT_S = 0.2
    inner = Inner()
    sent = await asyncio.wait_for(call(WebhookBodyLimit(inner), scope(), trickle()), 5)
    assert status_of(sent) == 408
    assert json.loads(sent[1]["body"]) == {"error": "The request body did not arrive within 0.2 s."}
    assert (b"connection", b"close") in sent[0]["headers"]
    assert inner.bodies == []  # Django never saw it


async def test_slow_senders_hold_at_most_the_pending_limit(settings):
    settings.WEBHOOK_BODY_TIMEOUT_S = 2.0
    settings.WEBHOOK_MAX_PENDING_BODIES = 20
    app = WebhookBodyLimit(Inner())
    slow = [asyncio.create_task(call(app, scope(), trickle())) for _ in range(200)]
    await asyncio.sleep(0.1)
    assert app.pending == 20  # only these hold a body; the others were answered at once
    refused = [task for task in slow if task.done()]
    assert len(refused) == 180
    assert {status_of(task.result()) for task in refused} == {503}
    assert ("retry-after", "1") in {
        (k.decode(), v.decode()) for k, v in refused[0].result()[0]["headers"]
    }
    held = await asyncio.wait_for(asyncio.gather(*(t for t in slow if not t.done())), 10)
    assert {status_of(sent) for sent in held} == {408}
    assert app.pending == 0


async def test_a_normal_webhook_still_gets_through_while_others_trickle(settings):
    settings.WEBHOOK_BODY_TIMEOUT_S = 2.0
    settings.WEBHOOK_MAX_PENDING_BODIES = 5
    inner = Inner()
    app = WebhookBodyLimit(inner)
    slow = [asyncio.create_task(call(app, scope("/hooks/test/abc"), trickle())) for _ in range(4)]
    await asyncio.sleep(0.05)

    async def whole():
        return {"type": "http.request", "body": b'{"ok": 1}', "more_body": False}

    sent = await call(app, scope("/hooks/test/abc"), whole)
    assert sent[0]["status"] == 200 and inner.bodies == [b'{"ok": 1}']
    for task in slow:
        task.cancel()
