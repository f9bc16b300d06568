"""What the sender of a webhook hears, for both HTTP fronts of the door."""

import logging
import time

from asgiref.sync import sync_to_async
from django.db import DatabaseError, close_old_connections

from ingest import metrics
from ingest.receive import group_commit
from ingest.receive.accept import (
    Accepted,
    IncomingWebhook,
    WebhookRefused,
    event_fields,
    webhook_accept,
    webhook_admit,
    webhook_store,
)
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
    responds to its sender, a `Responding` whose wait() gives it."""
    arrived = time.monotonic()
    try:
        accepted = webhook_accept(token=token, webhook=webhook)
    except (WebhookRefused, DatabaseError) as failed:
        return _refusal(failed)
    return _accepted(accepted, arrived)


async def first_answer_async(token: str, webhook: IncomingWebhook) -> Answer | Responding:
    """first_answer for an event loop (the ASGI fast path, ingest.receive.asgi): the
    checks run on the loop when they need no database or cache, else in a thread; the
    row is written with the webhooks arriving beside it (ingest.receive.group_commit).
    A responding function's webhook is stored in a thread, and its Responding waited
    for apart, so that a slow function holds none of the threads that store webhooks."""
    arrived = time.monotonic()
    try:
        target = webhook_admit(token=token, webhook=webhook, at_once=True)
        if target is None:
            target = await _in_thread(webhook_admit, token=token, webhook=webhook)
        if target.responds:
            return _accepted(await _in_thread(webhook_store, target, webhook), arrived)
        event_id = await group_commit.store(event_fields(target, webhook), target.workspace_id)
    except (WebhookRefused, DatabaseError) as failed:
        return _refusal(failed)
    metrics.webhook_accepted()
    return Answer.json(200, {"id": event_id})


def _accepted(accepted: Accepted, arrived: float) -> Answer | Responding:
    metrics.webhook_accepted()
    if accepted.target.responds:
        return Responding(accepted, deadline=arrived + accepted.wait_s)
    return Answer.json(200, {"id": accepted.event.pk})


def _refusal(failed: Exception) -> Answer:
    if isinstance(failed, WebhookRefused):
        metrics.webhook_refused(metrics.reason_for_status(failed.status))
        return Answer.json(failed.status, {"error": str(failed)}, failed.headers())
    metrics.webhook_refused("unavailable")
    logger.error("webhook not accepted: the database is unavailable", exc_info=failed)
    return Answer.json(
        503, {"error": "Temporarily unavailable; please retry."}, {"Retry-After": "5"}
    )


async def _in_thread(function, *args, **kwargs):
    """What Django's request_started/request_finished do for a view: the thread's
    database connection goes back to the pool once the function is done."""

    def call():
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return await sync_to_async(call, thread_sensitive=False)()
