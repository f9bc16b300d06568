"""The receive stage, the door: a webhook is checked (size, source, rate), written as a
durable ingest event and handed to the queue stage. Its HTTP front is
ingest.receive.asgi (the fast path) and ingest.views (the Django view)."""

from ingest.receive.accept import (
    DROPPED_HEADERS,
    Accepted,
    IncomingWebhook,
    MethodNotAllowed,
    NoSeat,
    PayloadTooLarge,
    RateLimited,
    SourceNotFound,
    WebhookRefused,
    check_payload_size,
    webhook_accept,
)
from ingest.receive.answer import answer_webhook, first_answer
from ingest.receive.http import Answer
from ingest.receive.sources import is_token_shaped, source_lookup

__all__ = [
    "DROPPED_HEADERS",
    "Accepted",
    "Answer",
    "IncomingWebhook",
    "MethodNotAllowed",
    "NoSeat",
    "PayloadTooLarge",
    "RateLimited",
    "SourceNotFound",
    "WebhookRefused",
    "answer_webhook",
    "check_payload_size",
    "first_answer",
    "is_token_shaped",
    "source_lookup",
    "webhook_accept",
]
