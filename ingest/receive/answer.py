"""What the sender of a webhook hears, for both HTTP fronts of the door."""

import logging

from django.db import DatabaseError

from ingest import metrics
from ingest.receive.accept import IncomingWebhook, WebhookRefused, webhook_accept

logger = logging.getLogger(__name__)


def answer_webhook(token: str, webhook: IncomingWebhook) -> tuple[int, dict, dict]:
    """What the sender of a webhook hears: (status, JSON body, headers). Shared by this
    view (ingest.views) and the ASGI fast path (ingest.receive.asgi)."""
    try:
        event = webhook_accept(token=token, webhook=webhook)
    except WebhookRefused as refused:
        metrics.webhook_refused(metrics.reason_for_status(refused.status))
        extra = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
        return refused.status, {"error": str(refused)}, extra
    except DatabaseError:
        metrics.webhook_refused("unavailable")
        logger.exception("webhook not accepted: the database is unavailable")
        return 503, {"error": "Temporarily unavailable; please retry."}, {"Retry-After": "5"}
    metrics.webhook_accepted()
    return 200, {"id": event.pk}, {}
