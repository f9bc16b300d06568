"""The one HTTP transport of the HTTP destinations (Segment-compatible and signed
webhook): what may be reached, and what an answer means to the deliver stage.

Every request is vetted before it leaves: an http(s) URL with no credentials in it
(the configuration is stored in clear, credentials are not), not the product itself
(a destination pointed at the product's own webhook URLs would feed every delivery
back in as a webhook, for ever), and, unless the deployment allows private networks,
a host whose every address is public. The host is resolved here and the connection
pinned to the vetted address, so a name cannot pass as public and then connect
somewhere private (runner.netguard, the guard of functions' fetch). Redirects are not
followed: a destination that redirects is misconfigured.

Every exchange has a total deadline (Egress.timeout_seconds): connect, send, status,
headers and the bounded read of the answer all end within it. httpx's timeouts are
per read, so an endpoint that trickles its answer a byte at a time never trips them
and would hold a worker thread (or a web request and its database connection) for
minutes; at the deadline the connection's socket is shut down, which ends even a read
blocked in it (Deadline).

Answers are sorted the way the deliver stage needs them: a network error, a timeout,
5xx, 408 and 429 are temporary (`Retry-After` honoured on 429 and 503, in seconds or
as an HTTP date); a redirect and every other 4xx are permanent. Messages and details
never hold a credential, even when the endpoint echoes the Authorization header back.
"""

from __future__ import annotations

import email.utils
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from functools import cache

import httpcore
import httpx

from ingest.deliver.destinations.base import DeliveryError
from runner.fetch import recorded_url
from runner.netguard import BlockedAddress, resolve_blocking
from runner.redact import forms

DEFAULT_TIMEOUT_SECONDS = 10.0
# Enough for DeliveryError's 1 KB detail once the secrets are taken out of it.
ANSWER_BYTES_READ = 64 * 1024
TEMPORARY_STATUSES = frozenset({408, 429})
RETRY_AFTER_STATUSES = frozenset({429, 503})
HOOKS_PATH = "/hooks/"
USER_AGENT = "source-functions-ide-destinations/1"
REDACTED = "[redacted]"


@dataclass(frozen=True)
class Egress:
    """How deliveries may leave the product, from its settings (never from the owner):
    its public URL, to refuse loops; whether private addresses may be reached (as
    RUNNER_ALLOW_PRIVATE_NETWORK does for functions); how long to wait for an answer.
    The deliver stage passes them in a destination's config."""

    public_url: str
    allow_private_network: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config: dict) -> Egress:
        if not config.get("public_url"):
            raise ValueError("The deliver stage must pass the product's public_url in config.")
        return cls(
            str(config["public_url"]),
            bool(config.get("allow_private_network", False)),
            float(config.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS),
        )


@dataclass(frozen=True)
class Wording:
    """How a destination kind names itself and its credential in messages."""

    service: str  # "Segment", "The webhook endpoint"
    key_refused: str  # for 401 and 403: "Segment refused the write key"
    not_found: str  # for 404: what the URL should be


@dataclass(frozen=True)
class Reply:
    """A 2xx answer."""

    status: int
    seconds: float


class Transport:
    """POSTs for one check or send; use it as a context manager (it closes its
    connections at the end)."""

    def __init__(
        self,
        egress: Egress,
        wording: Wording,
        *,
        secrets: Iterable[str],
    ) -> None:
        self.egress = egress
        self.wording = wording
        self.redact = Redactor(secrets)
        self.timeout = egress.timeout_seconds
        # One client per host name: connections are pinned to an address, and two
        # names on one address must not share a TLS connection made for the other.
        self._clients: dict[str, httpx.Client] = {}
        # Each client's last connection, kept alive for its next POST: a reused
        # connection is not connected again, so its deadline must be told of it.
        self._streams: dict[str, httpcore.NetworkStream] = {}

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._streams.clear()

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        """POST body to url; a 2xx answer is a Reply, anything else a DeliveryError."""
        target = self._vetted_url(url)
        address = self._vetted_address(target)
        started = time.monotonic()
        with Deadline(self.timeout) as deadline:
            try:
                response, text = self._exchange(target, address, body, headers, deadline)
            except httpx.HTTPError as exc:
                raise self._unreached(url, exc, late=deadline.passed) from None
        if not response.is_success:
            raise self._refusal(response, text)
        return Reply(response.status_code, time.monotonic() - started)

    def _unreached(self, url: str, exc: httpx.HTTPError, *, late: bool) -> DeliveryError:
        # A cut connection fails as a closed one (a read error, an incomplete answer):
        # past the deadline, that is the timeout.
        if late or isinstance(exc, httpx.TimeoutException):
            return self._error(
                f"{self.wording.service} did not answer within {self.timeout:g} s.",
                permanent=False,
            )
        return self._error(
            f"Could not reach {recorded_url(url)} ({exc or type(exc).__name__}).",
            permanent=False,
        )

    def _vetted_url(self, url: str) -> httpx.URL:
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise self._error(f"{recorded_url(url)} is not a valid URL.", permanent=True) from None
        if target.scheme not in ("http", "https") or not target.host:
            raise self._error(
                f"'{recorded_url(url)}' is not an http:// or https:// URL.", permanent=True
            )
        if target.userinfo:
            raise self._error(
                "The URL holds a user name or password: put the credential in its own "
                "field, where it is stored encrypted.",
                permanent=True,
            )
        if _origin(target) == _origin(self._public) and _within(target, self._public):
            raise self._loop(target)
        return target

    def _vetted_address(self, target: httpx.URL) -> str:
        host, port = _host(target), _port(target)
        try:
            address = resolve_blocking(host, port, allow_private=self.egress.allow_private_network)
        except BlockedAddress:
            raise self._error(
                f"{host} is a private address (loopback, private network, link-local or "
                "cloud metadata): destinations may only reach public addresses. To deliver "
                "to your own machine or network, restart the product with "
                "DESTINATIONS_ALLOW_PRIVATE_NETWORK=on (trusted networks only).",
                permanent=True,
            ) from None
        except (OSError, UnicodeError):
            raise self._error(
                f"Could not find the host {host}: the name does not resolve.", permanent=False
            ) from None
        if self._is_product_address(target, address):
            raise self._loop(target)
        return address

    @property
    def _public(self) -> httpx.URL:
        return httpx.URL(self.egress.public_url)

    def _is_product_address(self, target: httpx.URL, address: str) -> bool:
        """The product's webhook URLs reached by another name for it (an IP, an alias,
        localhost): any other path on a shared address may be someone else's."""
        hooks = self._public.path.rstrip("/") + HOOKS_PATH
        if not target.path.startswith(hooks) or _port(target) != _port(self._public):
            return False
        try:
            infos = socket.getaddrinfo(_host(self._public), _port(self._public))
        except (OSError, UnicodeError):
            return False
        return address in {info[4][0].split("%")[0] for info in infos}

    def _loop(self, target: httpx.URL) -> DeliveryError:
        return self._error(
            f"{recorded_url(str(target))} is this product's own address: delivering there "
            "would send every delivery back in as a webhook, for ever.",
            permanent=True,
        )

    def _exchange(
        self,
        target: httpx.URL,
        address: str,
        body: bytes,
        headers: dict[str, str],
        deadline: Deadline,
    ) -> tuple[httpx.Response, str]:
        pinned = target.copy_with(host=address)  # httpx brackets an IPv6 address
        client = self._client(target.host)
        extensions: dict = {"trace": deadline.trace}
        if target.scheme == "https":
            extensions["sni_hostname"] = _host(target)
        request = client.build_request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "Host": target.netloc.decode("ascii"), "User-Agent": USER_AGENT},
            extensions=extensions,
        )
        if kept := self._streams.pop(target.host, None):
            deadline.watch(kept.get_extra_info("socket"))
        response = client.send(request, stream=True)
        try:
            return response, _first_bytes(response).decode("utf-8", errors="replace")
        finally:
            response.close()
            if stream := response.extensions.get("network_stream"):
                self._streams[target.host] = stream

    def _client(self, host: str) -> httpx.Client:
        client = self._clients.get(host)
        if client is None:
            client = self._clients[host] = httpx.Client(
                verify=_tls(), timeout=self.timeout, follow_redirects=False, trust_env=False
            )
        return client

    def _refusal(self, response: httpx.Response, text: str) -> DeliveryError:
        status = response.status_code
        answered = f"{self.wording.service} answered HTTP {status} {response.reason_phrase}"
        if response.is_redirect:
            location = recorded_url(response.headers.get("location", ""))
            return self._error(
                f"{answered}, a redirect to {location}: redirects are not followed, set the "
                "URL it redirects to instead.",
                permanent=True,
                status=status,
                detail=text,
            )
        if status in (401, 403):
            message, permanent = f"{self.wording.key_refused} (HTTP {status}).", True
        elif status == 404:
            message, permanent = f"{answered}: {self.wording.not_found}", True
        elif status in TEMPORARY_STATUSES or status >= 500:
            message, permanent = f"{answered}.", False
        else:
            message, permanent = f"{answered}.", True
        retry_after = None
        if status in RETRY_AFTER_STATUSES:
            retry_after = retry_after_seconds(response.headers.get("retry-after"), time.time())
        return self._error(
            message, permanent=permanent, status=status, retry_after=retry_after, detail=text
        )

    def _error(self, message: str, **fields) -> DeliveryError:
        fields["detail"] = self.redact(fields.get("detail", ""))
        return DeliveryError(self.redact(message), **fields)


class Deadline:
    """The total time one exchange may take. A timer shuts down the sockets of the
    exchange's connection when it runs out: a read or write blocked in one then
    returns at once, and httpx fails as if the endpoint had closed the connection.

    It holds duplicates of the sockets, which it alone closes: a duplicate still
    reaches the connection once TLS has wrapped (and detached) the socket it was made
    from, and the cut can never hit a descriptor that the connection closed and
    another thread reused. Use it as a context manager around one exchange."""

    def __init__(self, seconds: float) -> None:
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._ended = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._ended = True
            for duplicate in self._sockets:
                duplicate.close()
            self._sockets.clear()

    def trace(self, event: str, info: dict) -> None:
        """httpcore's `trace` extension: each new connection is watched from the moment
        it connects, before TLS and before anything is sent."""
        if event == "connection.connect_tcp.complete" and info.get("return_value"):
            self.watch(info["return_value"].get_extra_info("socket"))

    def watch(self, sock: socket.socket | None) -> None:
        """Cut sock with the exchange (at once if the deadline has already passed)."""
        try:
            duplicate = socket.fromfd(sock.fileno(), sock.family, sock.type)  # type: ignore[union-attr]
        except (AttributeError, OSError):  # none, or closed since its last use
            return
        with self._lock:
            if self._ended:
                duplicate.close()
                return
            self._sockets.append(duplicate)
            if self.passed:
                _shut(duplicate)

    def _cut(self) -> None:
        with self._lock:
            if self._ended:
                return
            self.passed = True
            for duplicate in self._sockets:
                _shut(duplicate)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # the endpoint closed it first
        pass


class Redactor:
    """Takes credentials out of text, in the forms an endpoint may echo them in: the
    spellings the runner hides secrets in (as given, JSON-escaped, URL-encoded, base64:
    runner.redact.forms), of the credential and of the basic-auth header's user."""

    def __init__(self, secrets: Iterable[str]) -> None:
        found: set[str] = set()
        for secret in filter(None, secrets):
            found |= forms(secret) | forms(f"{secret}:")
        # Longest first, so that no form is left half replaced by a shorter one.
        self.forms = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, REDACTED)
        return text


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A Retry-After header as seconds from now: delay-seconds or an HTTP date."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def json_bytes(value: object) -> bytes:
    """Compact JSON in UTF-8, as the size limits count it. A string with a lone
    surrogate (JavaScript allows them) is escaped instead of failing; NaN is refused."""
    try:
        return json.dumps(
            value, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()


def object_json(value: object, collection: str) -> bytes:
    """json_bytes of an object; one that is not JSON fails the batch for good (objects
    have no messageId to refuse them by, and a function's output always is JSON)."""
    try:
        return json_bytes(value)
    except (TypeError, ValueError) as exc:
        raise DeliveryError(
            f"An object of {collection} cannot be written as JSON ({exc}).", permanent=True
        ) from None


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def encoded_events(
    events: list[dict], *, max_bytes: int | None = None, limit: str = ""
) -> tuple[list[bytes], dict[str, str]]:
    """Each event as JSON, and the events refused (by messageId, with why): those that
    are not JSON, and those over max_bytes (described by `limit`, "32 KB")."""
    encoded, refused = [], {}
    for event in events:
        message_id = str(event.get("messageId") or "")
        try:
            data = json_bytes(event)
        except (TypeError, ValueError) as exc:
            refused[message_id] = f"The event cannot be written as JSON ({exc})."
            continue
        if max_bytes is not None and len(data) > max_bytes:
            refused[message_id] = (
                f"The event is {len(data):,} bytes of JSON, over the limit of {limit} per event."
            )
            continue
        encoded.append(data)
    return encoded, refused


@cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle takes about 0.1 s: once per process, not per send.
    return httpx.create_ssl_context()


def _first_bytes(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= ANSWER_BYTES_READ:
            break
    return b"".join(chunks)[:ANSWER_BYTES_READ]


def _host(url: httpx.URL) -> str:
    return url.raw_host.decode("ascii")


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _origin(url: httpx.URL) -> tuple[str, int]:
    return _host(url).lower(), _port(url)


def _within(target: httpx.URL, public: httpx.URL) -> bool:
    prefix = public.path.rstrip("/")
    return not prefix or target.path == prefix or target.path.startswith(prefix + "/")
