"""Accepting a webhook: the only work done before the sender gets its answer."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from ingest import queue
from ingest.models import IngestEvent
from ingest.receive import rate_limit
from ingest.receive.sources import Target, is_token_shaped, source_lookup

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

    @classmethod
    def from_raw_headers(
        cls, *, method: str, path: str, query_string: str, headers, body: bytes
    ) -> "IncomingWebhook":
        """From (name, value) pairs as they came: names as Django's request.headers
        spells them, repeated headers joined by commas, hop-by-hop headers dropped."""
        kept: dict[str, str] = {}
        for raw_name, value in headers:
            name = raw_name.replace("_", "-").title()
            if name.lower() in DROPPED_HEADERS:
                continue
            kept[name] = f"{kept[name]},{value}" if name in kept else value
        return cls(method, path, query_string, kept, body)

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


def _target(token: str) -> Target:
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
    transaction.on_commit(lambda: queue.execute_soon(target.workspace_id), robust=True)
    return event
