"""Every write of the ingest app. Split by stage; the names are re-exported here."""

from ingest.services.execute import (
    MAX_ATTEMPTS,
    backoff_seconds,
    ingest_event_execute,
    ingest_events_execute,
    is_retried,
)
from ingest.services.forward import Transport, TransportError, ingest_event_forward
from ingest.services.receive import (
    DROPPED_HEADERS,
    IncomingWebhook,
    PayloadTooLarge,
    RateLimited,
    SourceNotFound,
    WebhookRefused,
    check_payload_size,
    webhook_accept,
)
from ingest.services.recovery import (
    dead_letters_replay,
    forwards_sweep,
    ingest_events_sweep,
    retention_cleanup,
)
from ingest.services.store import store_events, upsert_objects

__all__ = [
    "DROPPED_HEADERS",
    "MAX_ATTEMPTS",
    "IncomingWebhook",
    "PayloadTooLarge",
    "RateLimited",
    "SourceNotFound",
    "Transport",
    "TransportError",
    "WebhookRefused",
    "backoff_seconds",
    "check_payload_size",
    "dead_letters_replay",
    "forwards_sweep",
    "ingest_event_execute",
    "ingest_event_forward",
    "ingest_events_execute",
    "ingest_events_sweep",
    "is_retried",
    "retention_cleanup",
    "store_events",
    "upsert_objects",
    "webhook_accept",
]
