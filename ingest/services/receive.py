"""Accepting a webhook: the only work done before the sender gets its answer."""

import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from catalog.models import Source
from ingest import dispatch
from ingest.models import IngestEvent
from ingest.services import rate_limit

logger = logging.getLogger(__name__)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Hop-by-hop headers say nothing about the webhook; they are not kept.
DROPPED_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"}
)


class WebhookRefused(Exception):
    """A webhook we answer with an error; `status` and the message go to the sender."""

    status = 400

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceNotFound(WebhookRefused):
    status = 404


class PayloadTooLarge(WebhookRefused):
    status = 413


class RateLimited(WebhookRefused):
    status = 429


@dataclass(frozen=True)
class IncomingWebhook:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]
    body: bytes

    def row(self) -> dict:
        """The request as the fields of a stored row (an ingest event, a capture)."""
        return {
            "method": self.method,
            "path": self.path,
            "query_string": self.query_string,
            "headers": self.headers,
            "raw_body": self.body,
        }


def check_payload_size(size: int) -> None:
    """The one rule for webhook bodies, used by the ASGI guard and the view alike."""
    if size > settings.WEBHOOK_MAX_BYTES:
        limit_mb = settings.WEBHOOK_MAX_BYTES / (1024 * 1024)
        raise PayloadTooLarge(f"The request body is larger than the {limit_mb:g} MB limit.")


def is_token_shaped(token: str) -> bool:
    """Tokens are URL-safe base64; anything else (a NUL byte, say) is unknown, not a
    question for the database."""
    return bool(_TOKEN_SHAPE.fullmatch(token))


SOURCE_LOOKUP_TTL_S = 2.0


@dataclass(frozen=True)
class _Target:
    """What the accept path needs of a source."""

    source_id: int
    version_id: int
    enabled: bool


class _SourceLookup:
    """Tokens to sources, remembered for SOURCE_LOOKUP_TTL_S: a sender posting many
    webhooks costs the database one query per token and interval, not one per webhook.

    A change to any source forgets everything this process remembered (see
    ingest.apps); other processes see it within the interval. Unknown tokens are
    remembered too, so a disabled source answers exactly like a token that never
    existed, in the same time."""

    def __init__(self, size: int = 10_000) -> None:
        self._entries: OrderedDict[str, tuple[float, _Target | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, token: str) -> _Target | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(token)
        if entry is not None and now - entry[0] < SOURCE_LOOKUP_TTL_S:
            return entry[1]
        target = _target_for_token(token)
        with self._lock:
            self._entries[token] = (now, target)
            self._entries.move_to_end(token)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return target

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


def _target_for_token(token: str) -> _Target | None:
    row = Source.objects.filter(webhook_token=token).values_list("id", "version_id", "enabled")
    found = row.first()
    return _Target(*found) if found else None


source_lookup = _SourceLookup()


def _target(token: str) -> _Target:
    target = source_lookup.get(token) if is_token_shaped(token) else None
    if target is None or not target.enabled:
        raise SourceNotFound("No source answers at this URL.")
    return target


def webhook_accept(*, token: str, webhook: IncomingWebhook) -> IngestEvent:
    """Write the webhook durably and queue its execution once the row is committed.

    Raises WebhookRefused subclasses for what the sender should hear; database errors
    propagate so the caller can answer 503 (nothing is half-written: one INSERT)."""
    check_payload_size(len(webhook.body))
    target = _target(token)
    if not rate_limit.admits(target.source_id):
        raise RateLimited("Too many requests for this source; slow down.", retry_after=1)
    # One INSERT, committed by itself (no transaction around it: one round trip).
    event = IngestEvent.objects.create(
        source_id=target.source_id, version_id=target.version_id, **webhook.row()
    )
    # robust: the row is durable; the sweep queues it if this fails.
    transaction.on_commit(lambda: dispatch.queue_soon(event.pk), robust=True)
    return event
