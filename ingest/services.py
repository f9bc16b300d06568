"""The services of the ingest app, by stage, for its views, tasks and consumers.

A webhook's way through the product: receive → queue → execute → record → deliver
(docs/ingest.md). Each stage is a package of its own; this module only gathers their
public functions, and the recovery of what a lost task or a failure left behind."""

from ingest.deliver import deliveries_sweep, destination_deliver
from ingest.execute import (
    batch_size,
    claim_timeout,
    count_worker_threads_with,
    ingest_event_execute,
    ingest_event_respond,
    ingest_events_execute,
    ingest_events_execute_next,
)
from ingest.previews import (
    preview_cancel,
    preview_for_user,
    preview_run,
    preview_start,
    preview_webhooks,
    previews_of,
)
from ingest.receive import (
    DROPPED_HEADERS,
    IncomingWebhook,
    PayloadTooLarge,
    RateLimited,
    SourceNotFound,
    WebhookRefused,
    check_payload_size,
    webhook_accept,
)
from ingest.record import MAX_ATTEMPTS, backoff_seconds, is_retried
from ingest.record.stores import store_events, upsert_objects
from ingest.recovery import (
    dead_letters_replay,
    delivery_dead_letters_replay,
    ingest_events_sweep,
    retention_cleanup,
)
from ingest.rollouts import rollout_rates, rollouts_watch

__all__ = [
    "DROPPED_HEADERS",
    "MAX_ATTEMPTS",
    "IncomingWebhook",
    "PayloadTooLarge",
    "RateLimited",
    "SourceNotFound",
    "WebhookRefused",
    "backoff_seconds",
    "batch_size",
    "check_payload_size",
    "claim_timeout",
    "count_worker_threads_with",
    "dead_letters_replay",
    "deliveries_sweep",
    "delivery_dead_letters_replay",
    "destination_deliver",
    "ingest_event_execute",
    "ingest_event_respond",
    "ingest_events_execute",
    "ingest_events_execute_next",
    "ingest_events_sweep",
    "is_retried",
    "preview_cancel",
    "preview_for_user",
    "preview_run",
    "preview_start",
    "preview_webhooks",
    "previews_of",
    "retention_cleanup",
    "rollout_rates",
    "rollouts_watch",
    "store_events",
    "upsert_objects",
    "webhook_accept",
]
