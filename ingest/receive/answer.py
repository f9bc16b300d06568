"""What the sender of a webhook hears, for both HTTP fronts of the door."""

import logging
import time

from django.db import DatabaseError

from ingest import metrics
from ingest.receive.accept import IncomingWebhook, WebhookRefused, webhook_accept
from ingest.receive.http import Answer
from ingest.receive.respond import Responding

logger = logging.getLogger(__name__)


def answer_webhook(token: str, webhook: IncomingWebhook) -> Answer:
    """What the sender of a webhook hears (the Django view, ingest.views): the first
    answer, or the one a responding function gives once it ran."""
    answer = first_answer(token, webhook)
    return answer.wait() if isinstance(answer, Responding) else answer


def first_answer(token: str, webhook: IncomingWebhook) -> Answer | Responding:
    """The answer once the webhook is stored or refused, or, for a function that
    responds to its sender, a `Responding` whose wait() gives it. The ASGI fast path
    (ingest.receive.asgi) waits for those apart, so that a slow function holds none of
    the threads that store webhooks."""
    arrived = time.monotonic()
    try:
        accepted = webhook_accept(token=token, webhook=webhook)
    except WebhookRefused as refused:
        metrics.webhook_refused(metrics.reason_for_status(refused.status))
        return Answer.json(refused.status, {"error": str(refused)}, refused.headers())
    except DatabaseError:
        metrics.webhook_refused("unavailable")
        logger.exception("webhook not accepted: the database is unavailable")
        return Answer.json(
            503, {"error": "Temporarily unavailable; please retry."}, {"Retry-After": "5"}
        )
    metrics.webhook_accepted()
    if accepted.target.responds:
        return Responding(accepted, deadline=arrived + accepted.wait_s)
    return Answer.json(200, {"id": accepted.event.pk})
