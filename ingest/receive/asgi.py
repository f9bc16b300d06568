"""The ASGI front of the webhook URLs.

It refuses oversized bodies while they stream in, before Django buffers them: by
Content-Length at once, and by counting what arrives. A sender gets WEBHOOK_BODY_TIMEOUT_S
to send its body (then 408), and at most WEBHOOK_MAX_PENDING_BODIES bodies are read at
once per process (then 503), so slow senders can hold at most that many bodies' worth of
memory and connections. And it answers a source's webhook
(`POST /hooks/<token>`) itself: the same service and the same answers as the Django view
(ingest.receive.answer), without the page middleware and URL routing that a sender
never needs: its checks on the event loop, its row written with the webhooks arriving
beside it (ingest.receive.group_commit) — the accept path is the product's hottest.

The sender of a function that responds to it waits for the function's answer
(ingest.receive.respond) on threads of its own, WEBHOOK_RESPONSE_THREADS of them: a
slow function never holds one of the threads that store the other webhooks."""

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections

from ingest import metrics
from ingest.receive.accept import IncomingWebhook, PayloadTooLarge, check_payload_size
from ingest.receive.answer import first_answer_async
from ingest.receive.http import Answer
from ingest.receive.respond import Responding

_SOURCE_WEBHOOK = re.compile(r"^/hooks/(?!test/)([^/]+)$")


class WebhookBodyLimit:
    def __init__(self, app, prefix: str = "/hooks/") -> None:
        self.app = app
        self.prefix = prefix
        self.pending = 0  # bodies being read now (one event loop: no lock needed)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        is_webhook = not scope["path"].startswith("/hooks/test/")  # captures are not webhooks
        if self.pending >= settings.WEBHOOK_MAX_PENDING_BODIES:
            if is_webhook:
                metrics.webhook_refused("unavailable")
            busy = {"error": "Too many webhooks are arriving at once; please retry."}
            return await _respond(send, 503, busy, {"Retry-After": "1"})
        try:
            body = await self._read(scope, receive)
        except PayloadTooLarge as refused:
            if is_webhook:
                metrics.webhook_refused("too_large")
            return await _respond(send, 413, {"error": str(refused)})
        except TimeoutError:
            if is_webhook:
                metrics.webhook_refused("too_slow")
            timeout_s = settings.WEBHOOK_BODY_TIMEOUT_S
            slow = {"error": f"The request body did not arrive within {timeout_s:g} s."}
            return await _respond(send, 408, slow)
        match = _SOURCE_WEBHOOK.match(scope["path"])
        if match:
            answer = await first_answer_async(match[1], _incoming(scope, body))
            if isinstance(answer, Responding):
                loop = asyncio.get_running_loop()
                answer = await loop.run_in_executor(_response_threads(), _wait, answer)
            return await _send(send, answer)
        return await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope, receive) -> bytes:
        check_payload_size(_content_length(scope))
        self.pending += 1
        try:
            return await asyncio.wait_for(_read_capped(receive), settings.WEBHOOK_BODY_TIMEOUT_S)
        finally:
            self.pending -= 1


def _wait(responding: Responding) -> Answer:
    close_old_connections()
    try:
        return responding.wait()
    finally:
        close_old_connections()


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _response_threads() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.WEBHOOK_RESPONSE_THREADS, thread_name_prefix="webhook-response"
            )
        return _executor


def _incoming(scope, body: bytes) -> IncomingWebhook:
    return IncomingWebhook.from_raw_headers(
        method=scope["method"],
        path=scope["path"],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(n.decode("latin-1"), v.decode("latin-1")) for n, v in scope.get("headers", [])],
        body=body,
    )


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


async def _respond(send, status: int, body: dict, headers: dict | None = None) -> None:
    """An answer of the guard itself: the body was not read, the connection cannot go on."""
    await _send(send, Answer.json(status, body, {**(headers or {}), "Connection": "close"}))


async def _send(send, answer: Answer) -> None:
    headers = {"X-Content-Type-Options": "nosniff", **answer.headers}
    if answer.status == 503:
        headers["Connection"] = "close"
    await send(
        {
            "type": "http.response.start",
            "status": answer.status,
            "headers": [
                (b"content-length", str(len(answer.body)).encode()),
                *(
                    (name.lower().encode(), value.encode("latin-1"))
                    for name, value in headers.items()
                ),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer.body})
