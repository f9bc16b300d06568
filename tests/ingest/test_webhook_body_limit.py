"""Bodies over the limit are refused while they stream in, before Django reads them."""

import json

from ingest.receive.asgi import WebhookBodyLimit

LIMIT = 2 * 1024 * 1024


class Inner:
    """Stands in for Django: records what reached it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send):
        message = await receive()
        self.bodies.append(message["body"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def scope(path="/hooks/abc", content_length: int | None = None) -> dict:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    return {"type": "http", "path": path, "method": "POST", "headers": headers}


def chunks(*parts: bytes):
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    read = []

    async def receive():
        message = messages.pop(0) if messages else {"type": "http.disconnect"}
        read.append(message)
        return message

    return receive, read


async def call(app, scope, receive):
    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_content_length_over_the_limit_is_refused_before_reading():
    inner = Inner()
    receive, read = chunks(b"x" * 10)
    sent = await call(WebhookBodyLimit(inner), scope(content_length=LIMIT + 1), receive)
    assert sent[0]["status"] == 413
    assert "2 MB limit" in json.loads(sent[1]["body"])["error"]
    assert read == [] and inner.bodies == []


async def test_a_streamed_body_is_cut_off_once_past_the_limit():
    inner = Inner()
    part = b"y" * (1024 * 1024)
    receive, read = chunks(part, part, part, part)
    sent = await call(WebhookBodyLimit(inner), scope(), receive)
    assert sent[0]["status"] == 413
    assert len(read) == 3  # the fourth megabyte was never read
    assert inner.bodies == []


async def test_a_body_within_the_limit_reaches_django_whole():
    inner = Inner()
    receive, _ = chunks(b'{"a":', b" 1}")
    # a catcher URL: source webhooks are answered by the guard itself (test_webhook_asgi)
    sent = await call(WebhookBodyLimit(inner), scope("/hooks/test/abc", 8), receive)
    assert sent[0]["status"] == 200
    assert inner.bodies == [b'{"a": 1}']


async def test_other_paths_are_not_touched():
    inner = Inner()
    receive, read = chunks(b"z" * 10)
    await call(WebhookBodyLimit(inner), scope(path="/api/v1/x", content_length=LIMIT * 2), receive)
    assert inner.bodies == [b"z" * 10]
