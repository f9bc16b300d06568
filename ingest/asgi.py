"""An ASGI guard that refuses oversized webhook bodies while they stream in, before
Django buffers them: by Content-Length at once, and by counting what arrives."""

import json

from functions_ide import metrics
from ingest.services.receive import PayloadTooLarge, check_payload_size


class WebhookBodyLimit:
    def __init__(self, app, prefix: str = "/hooks/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        try:
            check_payload_size(_content_length(scope))
            body = await _read_capped(receive)
        except PayloadTooLarge as refused:
            if not scope["path"].startswith("/hooks/test/"):  # captures are not webhooks
                metrics.webhook_refused("too_large")
            return await _refuse(send, str(refused))
        return await self.app(scope, _replay(body, receive), send)


def _content_length(scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def _read_capped(receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        check_payload_size(size)
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive):
    """Hand Django the body read so far, then the real channel: Django listens on it
    for the client's disconnect while the view runs."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send, message: str) -> None:
    payload = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
