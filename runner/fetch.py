"""fetch() bridged from V8 to Python (httpx, asyncio), with the network guard.

Requests of an execution run concurrently on one process-wide asyncio loop thread.
Each call is recorded in the execution's ``fetches`` (method, url, status, duration_ms:
never headers or bodies, which may hold secrets). Calls past the per-execution cap are
refused without a record each: one last record counts them (``refused``).

The runtime checks a call's options in JavaScript (js/src/fetch.js), where a bad one is
a TypeError the function can catch. Whatever still reaches this side malformed fails
that one call (a FetchError for the function), never the batch: every answer is built
under one catch-all.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import os
import ssl
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import httpx

from runner.limits import DEFAULT_LIMITS
from runner.netguard import OWN_WEBHOOK_REFUSAL, BlockedAddress, OwnWebhooks, resolve

MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_FETCHES_PER_EXECUTION = DEFAULT_LIMITS.fetch_calls
MAX_REDIRECTS = 20
# Why every fetch of a run whose limits allow none (fetch_calls=0) is refused.
FETCH_OFF = "fetch is off for this run"
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CROSS_ORIGIN_DROPPED = {b"authorization", b"www-authenticate", b"cookie", b"cookie2"}


class FetchFailed(Exception):
    def __init__(self, message: str, kind: str = "system", code: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


class OwnWebhookRefused(FetchFailed):
    """A request to one of the product's own webhook URLs. Its message and record show
    the URL only up to the webhook path: what follows is a source's write credential."""

    def __init__(self, url: str, shown: str) -> None:
        super().__init__(f"request to {shown} failed, reason: {OWN_WEBHOOK_REFUSAL}")
        self.code = "EWEBHOOKLOOP"
        self.url = url
        self.shown = shown


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _fetch_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="runner-fetch", daemon=True).start()
            _loop_pid = os.getpid()
        return _loop


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def recorded_url(url: str) -> str:
    """The URL as the execution log keeps it: query values and credentials masked, as
    functions often pass API keys there and readers of the logs may not know them."""
    try:
        parts = urlsplit(url)
        # The port too: the function wrote the URL, and `.port` refuses what is not one.
        netloc = _netloc(parts.hostname or "", parts.port)
    except ValueError:
        return "(an invalid URL)"
    # For people to read, not to request again: names as they were, values hidden.
    query = "&".join(f"{name}=…" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class FetchSession:
    """The fetches of one execution: started on demand, all closed when it ends."""

    def __init__(
        self,
        *,
        deadline: float,
        allow_private_network: bool,
        max_calls: int = MAX_FETCHES_PER_EXECUTION,
        own_webhooks: OwnWebhooks | None = None,
    ) -> None:
        self.deadline = deadline
        self.allow_private = allow_private_network
        self.max_calls = max_calls
        self.own_webhooks = own_webhooks
        self.records: list[dict[str, Any]] = []
        self.refused = 0
        self.in_flight: list[concurrent.futures.Future[dict[str, Any]]] = []
        self._client: httpx.AsyncClient | None = None

    def submit(self, message: dict[str, Any]) -> concurrent.futures.Future[dict[str, Any]]:
        if len(self.records) >= self.max_calls:
            return self._refuse(message)
        record = {
            "method": str(message.get("method")),
            # As the function wrote it until the result is made (fetch_records).
            "url": str(message.get("url")),
            "status": None,
            "duration_ms": 0.0,
        }
        self.records.append(record)
        return asyncio.run_coroutine_threadsafe(self._perform(message, record), _fetch_loop())

    def fetch_records(self, shown_url: Callable[[str], str] = recorded_url) -> list[dict[str, Any]]:
        """The records of the calls made, then one for the calls refused over the cap.

        Each URL is recorded by `shown_url` from the URL as the function wrote it: with
        secrets, runner.redact takes them out before the query is masked."""
        for record in self.records:
            record["url"] = shown_url(record["url"])
        if not self.refused:
            return self.records
        summary = {
            "method": None,
            "url": None,
            "status": None,
            "duration_ms": 0.0,
            "refused": self.refused,
            "error": f"{self.refused} fetch calls refused: {FETCH_OFF}"
            if self.max_calls == 0
            else f"{self.refused} more fetch calls refused: over {self.max_calls} per execution",
        }
        return [*self.records, summary]

    def _refuse(self, message: dict[str, Any]) -> concurrent.futures.Future[dict[str, Any]]:
        self.refused += 1
        why = FETCH_OFF if self.max_calls == 0 else f"over {self.max_calls} fetch calls"
        answer = _error(f"request to {message.get('url')} refused: {why}")
        answer["id"] = message.get("id")
        future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        future.set_result(answer)
        return future

    def close(self) -> None:
        for future in self.in_flight:
            future.cancel()
        if self._client is not None:
            client, self._client = self._client, None
            asyncio.run_coroutine_threadsafe(client.aclose(), _fetch_loop())

    async def _perform(self, message: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        started = time.monotonic()
        url = str(message.get("url"))
        try:
            answer = await asyncio.wait_for(self._follow(message), self._timeout(message))
            record["status"] = answer["status"]
        except TimeoutError:
            answer = _error(f"network timeout at: {url}", "request-timeout")
        except OwnWebhookRefused as exc:
            answer = _error(str(exc), exc.kind, exc.code)
            if exc.url == record["url"]:
                record["url"] = exc.shown
        except FetchFailed as exc:
            answer = _error(str(exc), exc.kind, exc.code)
        except BlockedAddress as exc:
            answer = _error(f"request to {url} failed, reason: {exc}", "system", "EBLOCKED")
        except (httpx.HTTPError, OSError, ValueError) as exc:
            answer = _error(f"request to {url} failed, reason: {exc or type(exc).__name__}")
        except Exception as exc:  # one call's input must never fail the batch  # noqa: BLE001
            answer = _error(f"request to {url} failed, reason: {type(exc).__name__}")
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 3)
        answer["id"] = message.get("id")
        return answer

    def _timeout(self, message: dict[str, Any]) -> float:
        remaining = max(0.001, self.deadline - time.monotonic())
        own = _option(message, "timeout", 0) / 1000
        return min(remaining, own) if own > 0 else remaining

    async def _follow(self, message: dict[str, Any]) -> dict[str, Any]:
        method, url = str(message["method"]), str(message["url"])
        headers = _header_pairs(message.get("headers"))
        body = _body_bytes(message.get("body"))
        limit = min(_option(message, "size", 0) or MAX_RESPONSE_BYTES, MAX_RESPONSE_BYTES)
        for hop in range(min(_option(message, "follow", MAX_REDIRECTS), MAX_REDIRECTS) + 1):
            answer = await self._send(method, url, headers, body, limit)
            location = _header(answer["headers"], "location")
            if (
                answer["status"] not in REDIRECT_STATUSES
                or not location
                or message.get("redirect") == "manual"
            ):
                answer["redirected"] = hop > 0
                return answer
            if message.get("redirect") == "error":
                raise FetchFailed(
                    f"uri requested responds with a redirect, redirect mode is set to error: {url}",
                    "no-redirect",
                )
            next_url = urljoin(url, location)
            if answer["status"] == 303 or (answer["status"] in (301, 302) and method == "POST"):
                method, body = "GET", None
                headers = [
                    (k, v)
                    for k, v in headers
                    if k.lower() not in (b"content-type", b"content-length")
                ]
            if urlsplit(next_url).netloc != urlsplit(url).netloc:
                headers = [(k, v) for k, v in headers if k.lower() not in CROSS_ORIGIN_DROPPED]
            url = next_url
        raise FetchFailed(f"maximum redirect reached at: {url}", "max-redirect")

    async def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        limit: int,
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchFailed(f"Only absolute http(s) URLs are supported: {url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        guard = self.own_webhooks
        if guard is not None and guard.path_matches(parts.path):
            await _refuse_own(guard, url, parts, None)  # by its name, before any lookup
        address = await resolve(parts.hostname, port, allow_private=self.allow_private)
        if guard is not None and guard.path_matches(parts.path):
            await _refuse_own(guard, url, parts, address)
        pinned = _pinned_url(parts, address, port)
        request_headers = [(k, v) for k, v in headers if k.lower() != b"host"] + [
            (b"host", parts.netloc.split("@")[-1].encode("ascii"))
        ]
        client = self._client_for_execution()
        client.cookies.clear()  # node-fetch keeps no cookies between calls
        request = client.build_request(
            method,
            pinned,
            headers=request_headers,
            content=body,
            extensions={"sni_hostname": parts.hostname} if parts.scheme == "https" else {},
        )
        response = await client.send(request, stream=True)
        try:
            content = await _read_capped(response, limit, url)
        finally:
            await response.aclose()
        return _answer(response, content, url)

    def _client_for_execution(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=_tls(), trust_env=False, follow_redirects=False, timeout=None
            )
        return self._client


async def _refuse_own(guard: OwnWebhooks, url: str, parts: Any, address: str | None) -> None:
    """Raise OwnWebhookRefused when the request would reach the product's own webhook
    URLs: by its host's name, or (given the address) by where it connects."""
    host = parts.hostname or ""
    if address is None:
        prefix = guard.path_matches(parts.path) if guard.names(host) else None
    else:
        prefix = await guard.refuses(host, parts.path, address)
    if prefix is not None:
        raise OwnWebhookRefused(url, f"{parts.scheme}://{_netloc(host, parts.port)}{prefix}…")


def _netloc(host: str, port: int | None) -> str:
    """Host and port as a URL writes them (an IPv6 address in brackets)."""
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def _pinned_url(parts: Any, address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{host}:{port}{path}{query}"


async def _read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise FetchFailed(f"content size at {url} over limit: {limit}", "max-size")
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(response: httpx.Response, content: bytes, url: str) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "status": response.status_code,
        "statusText": response.reason_phrase,
        "url": url,
        "headers": [[k, v] for k, v in response.headers.multi_items()],
    }
    try:
        answer["text"] = content.decode("utf-8")
    except UnicodeDecodeError:
        answer["base64"] = base64.b64encode(content).decode("ascii")
    return answer


def _option(message: dict[str, Any], name: str, default: int) -> int:
    """A number option as the runtime checked it; anything else is the default."""
    value = message.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return default
    return int(min(value, 2**31))


def _header_pairs(headers: Any) -> list[tuple[bytes, bytes]]:
    """Names in ASCII and values in Latin-1, as Node writes them (the runtime allows
    nothing else); a malformed pair fails this call with a ValueError."""
    pairs = []
    for name, value in headers or []:
        pairs.append((str(name).encode("ascii"), str(value).encode("latin-1")))
    return pairs


def _body_bytes(body: dict[str, str] | None) -> bytes | None:
    if body is None:
        return None
    if "text" in body:
        try:
            return body["text"].encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate becomes U+FFFD, as in Node
            text = body["text"].encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            return text.encode("utf-8")
    return base64.b64decode(body["base64"])


def _header(pairs: list[list[str]], name: str) -> str | None:
    for key, value in pairs:
        if key.lower() == name:
            return value
    return None


def _error(message: str, kind: str = "system", code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code}}
