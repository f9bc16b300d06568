"""Accepting a webhook: the only work done before the sender gets its answer."""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from catalog.models import Source
from ingest import dispatch
from ingest.models import IngestEvent
from ingest.services.rate_limit import RateLimitExceeded, check_rate

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


def check_payload_size(size: int) -> None:
    """The one rule for webhook bodies, used by the ASGI guard and the view alike."""
    if size > settings.WEBHOOK_MAX_BYTES:
        limit_mb = settings.WEBHOOK_MAX_BYTES / (1024 * 1024)
        raise PayloadTooLarge(f"The request body is larger than the {limit_mb:g} MB limit.")


def is_token_shaped(token: str) -> bool:
    """Tokens are URL-safe base64; anything else (a NUL byte, say) is unknown, not a
    question for the database."""
    return bool(_TOKEN_SHAPE.fullmatch(token))


def _source_for_token(token: str) -> Source:
    if not is_token_shaped(token):
        raise SourceNotFound("No source answers at this URL.")
    # Unknown and disabled sources take the same query and the same answer, so a
    # caller cannot tell a disabled source from a token that never existed.
    source = (
        Source.objects.filter(webhook_token=token)
        .only("id", "enabled", "version_id", "workspace_id")
        .first()
    )
    if source is None or not source.enabled:
        raise SourceNotFound("No source answers at this URL.")
    return source


def webhook_accept(*, token: str, webhook: IncomingWebhook) -> IngestEvent:
    """Write the webhook durably and queue its execution once the row is committed.

    Raises WebhookRefused subclasses for what the sender should hear; database errors
    propagate so the caller can answer 503 (nothing is half-written: one INSERT)."""
    check_payload_size(len(webhook.body))
    source = _source_for_token(token)
    try:
        check_rate(source.pk)
    except RateLimitExceeded:
        raise RateLimited("Too many requests for this source; slow down.", retry_after=1) from None
    with transaction.atomic():
        event = IngestEvent.objects.create(
            source=source,
            version_id=source.version_id,
            method=webhook.method,
            path=webhook.path,
            query_string=webhook.query_string,
            headers=webhook.headers,
            raw_body=webhook.body,
        )
        transaction.on_commit(lambda: dispatch.queue_soon(event.pk))
    return event
