"""Accepting a webhook: the only work done before the sender gets its answer."""

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from catalog.models import Source
from ingest.models import IngestEvent

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


def _check_rate(source: Source) -> None:
    """A fixed one-second window per source, counted in the shared cache."""
    limit = settings.WEBHOOK_RATE_LIMIT_PER_SECOND
    if limit <= 0:
        return
    try:
        count = _count_in_window(f"webhook-rate:{source.pk}:{int(time.time())}")
    except Exception:
        # Without the cache (Redis restarting) webhooks are still accepted: losing
        # them would be worse than a second without a rate limit.
        logger.warning("rate limit not checked: the cache is unavailable")
        return
    if count > limit:
        raise RateLimited("Too many requests for this source; slow down.", retry_after=1)


def _count_in_window(key: str) -> int:
    if cache.add(key, 1, timeout=2):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add and incr
        return 1


def webhook_accept(*, token: str, webhook: IncomingWebhook) -> IngestEvent:
    """Write the webhook durably and queue its execution once the row is committed.

    Raises WebhookRefused subclasses for what the sender should hear; database errors
    propagate so the caller can answer 503 (nothing is half-written: one INSERT)."""
    from ingest import tasks

    check_payload_size(len(webhook.body))
    source = _source_for_token(token)
    _check_rate(source)
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
        # robust: a broker hiccup must not fail an accepted webhook; the sweep re-queues it.
        transaction.on_commit(lambda: tasks.execute.delay(event.pk), robust=True)
    return event
