"""Accepting a webhook: the only work done before the sender gets its answer."""

import re
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import WEBHOOK_METHODS, methods_in_words
from ingest import queue
from ingest.models import IngestEvent
from ingest.receive import rate_limit
from ingest.receive.seats import Seat, seats
from ingest.receive.sources import Target, is_token_shaped, source_lookup

# A sender waits for a responding function's answer at most its time limit and this.
RESPONSE_WAIT_MARGIN_S = 1.0

# Hop-by-hop headers say nothing about the webhook; they are not kept.
HOP_BY_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"}
)
# What a browser sends the product's origin by itself, whatever URL of it is opened: a
# logged-in user who opens a GET webhook URL (a link anyone may send) would hand the
# function's author the session and CSRF cookies. No sender needs them: never kept, so
# neither the function, nor the stored event, nor a capture sees them. A proxy's
# credentials (Proxy-Authorization) are the proxy's, not the webhook's.
PRODUCT_CREDENTIAL_HEADERS = frozenset({"cookie", "cookie2", "proxy-authorization", "x-csrftoken"})
DROPPED_HEADERS = HOP_BY_HOP_HEADERS | PRODUCT_CREDENTIAL_HEADERS
# An `Authorization` carrying one of the product's own access tokens (`Bearer sfi_…`,
# also among other credentials in one value): someone's API credential sent to a URL
# whose function another author writes.
_PRODUCT_BEARER = re.compile(r"\bbearer\s+sfi_", re.IGNORECASE)


class WebhookRefused(Exception):
    """A webhook we answer with an error; `status` and the message go to the sender."""

    status = 400

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class SourceNotFound(WebhookRefused):
    status = 404


class MethodNotAllowed(WebhookRefused):
    status = 405

    def __init__(self, message: str, *, allow: list[str]) -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allow)}


class PayloadTooLarge(WebhookRefused):
    status = 413


class RateLimited(WebhookRefused):
    status = 429


class NoSeat(WebhookRefused):
    """A responding function's sender finds no seat to wait on (ingest.receive.seats):
    its workspace holds its share of them. Nothing is stored."""

    status = 503

    def __init__(self) -> None:
        super().__init__("Temporarily unavailable; please retry.", retry_after=5)


@dataclass(frozen=True)
class IncomingWebhook:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_raw_headers(
        cls, *, method: str, path: str, query_string: str, headers, body: bytes
    ) -> "IncomingWebhook":
        """From (name, value) pairs as they came: names as Django's request.headers
        spells them, repeated headers joined by commas, hop-by-hop headers and the
        product's own credentials dropped (is_kept_header). A GET has no body (whatever
        was sent with one is not kept)."""
        kept: dict[str, str] = {}
        for raw_name, value in headers:
            name = raw_name.replace("_", "-").title()
            if not is_kept_header(name, value):
                continue
            kept[name] = f"{kept[name]},{value}" if name in kept else value
        return cls(method, path, query_string, kept, b"" if method == "GET" else body)

    def row(self) -> dict:
        """The request as the fields of a stored row (an ingest event, a capture)."""
        return {
            "method": self.method,
            "path": self.path,
            "query_string": self.query_string,
            "headers": self.headers,
            "raw_body": self.body,
        }


def is_kept_header(name: str, value: str) -> bool:
    """Whether a header of an incoming request is kept with it (stored, shown, given to
    the function): not a hop-by-hop one, not a credential of the product's origin."""
    lowered = name.lower()
    if lowered in DROPPED_HEADERS:
        return False
    return not (lowered == "authorization" and _PRODUCT_BEARER.search(value))


def check_payload_size(size: int) -> None:
    """The one rule for webhook bodies, used by the ASGI guard and the view alike."""
    if size > settings.WEBHOOK_MAX_BYTES:
        limit_mb = settings.WEBHOOK_MAX_BYTES / (1024 * 1024)
        raise PayloadTooLarge(f"The request body is larger than the {limit_mb:g} MB limit.")


def _target(token: str, *, at_once: bool = False) -> Target | None:
    """The token's enabled source; with at_once, None when it is not remembered."""
    target = None
    if is_token_shaped(token):
        if not at_once:
            target = source_lookup.get(token)
        else:
            remembered, target = source_lookup.remembered(token)
            if not remembered:
                return None
    if target is None or not target.enabled:
        raise SourceNotFound("No source answers at this URL.")
    return target


def _check_method(target: Target, method: str) -> None:
    if method not in target.methods:
        allow = [m for m in WEBHOOK_METHODS if m in target.methods]
        words = methods_in_words(allow)
        raise MethodNotAllowed(f"This webhook URL accepts {words}, not {method}.", allow=allow)


@dataclass(frozen=True)
class Accepted:
    """A stored webhook, and its source as the accept path saw it; for a responding
    function's, the seat its sender waits on (to give back once answered)."""

    event: IngestEvent
    target: Target
    seat: Seat | None = None

    def give_back_seat(self) -> None:
        if self.seat is not None:
            seats.give_back(self.seat)

    @property
    def wait_s(self) -> float:
        return response_wait_s(self.target)


def response_wait_s(target: Target) -> float:
    """How long the sender of a responding function's webhook waits for it, at most."""
    return target.time_limit_ms / 1000 + RESPONSE_WAIT_MARGIN_S


def webhook_admit(*, token: str, webhook: IncomingWebhook, at_once: bool = False) -> Target | None:
    """The checks a webhook passes before it is stored (size, source, method, rate),
    each a WebhookRefused subclass for what the sender should hear; the version it
    runs on. With at_once, for a caller that must not wait on the database or the
    cache (an event loop): None where a check would (a source not remembered, a rate
    limit lease to take), and nothing counted: ask again without."""
    check_payload_size(len(webhook.body))
    target = _target(token, at_once=at_once)
    if target is None:
        return None
    target = target.lane()
    _check_method(target, webhook.method)
    admitted = rate_limit.admits(target.source_id, at_once=at_once)
    if admitted is None:
        return None
    if not admitted:
        raise RateLimited("Too many requests for this source; slow down.", retry_after=1)
    return target


def webhook_accept(*, token: str, webhook: IncomingWebhook) -> Accepted:
    """Write the webhook durably and queue its execution once the row is committed; for
    a function that responds to its sender, take a seat for the sender's wait within
    its workspace's share (NoSeat otherwise) and hold the event back from turns while
    the sender waits (ingest.receive.respond runs it at once).

    Raises WebhookRefused subclasses for what the sender should hear; database errors
    propagate so the caller can answer 503 (nothing is half-written: one INSERT)."""
    return webhook_store(webhook_admit(token=token, webhook=webhook), webhook)


def webhook_store(target: Target, webhook: IncomingWebhook) -> Accepted:
    """webhook_accept's write, for a webhook admitted to `target`."""
    if target.responds:
        return _accept_held(target, webhook)
    # One INSERT, committed by itself (no transaction around it: one round trip).
    event = IngestEvent.objects.create(**event_fields(target, webhook))
    # robust: the row is durable; the sweep queues it if this fails.
    transaction.on_commit(lambda: queue.execute_soon(target.workspace_id), robust=True)
    return Accepted(event, target)


def event_fields(target: Target, webhook: IncomingWebhook) -> dict:
    """The stored row of a webhook that runs as soon as a worker takes it."""
    return {"source_id": target.source_id, "version_id": target.version_id, **webhook.row()}


def _accept_held(target: Target, webhook: IncomingWebhook) -> Accepted:
    """The row of a responding function's webhook: as durable, but due only once its
    sender stopped waiting, so that no turn takes it from the run made for the sender.
    Should that run never come (no worker), the event runs as any other after that."""
    wait_s = response_wait_s(target)
    seat = seats.take(target.workspace_id, until=time.monotonic() + wait_s)
    if seat is None:
        raise NoSeat()
    now = timezone.now()
    try:
        event = IngestEvent.objects.create(
            **event_fields(target, webhook),
            received_at=now,
            next_attempt_at=now + timedelta(seconds=wait_s),
        )
    except BaseException:
        seats.give_back(seat)
        raise
    return Accepted(event, target, seat)
