"""The deliver stage: everything that leaves the product.

Today that is forwarding a workspace's events and objects to a Segment-compatible
endpoint (ingest.deliver.forwarding). The record stage tells it which ingest events
produced output; it queues a delivery for those whose workspace forwards, and the
sweep catches up on deliveries whose task was lost."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ingest import queue
from ingest.deliver.forwarding import Transport, TransportError, ingest_event_forward
from ingest.models import Delivery, Forwarding, IngestEvent, StoredEvent

__all__ = [
    "Transport",
    "TransportError",
    "forwards_sweep",
    "ingest_event_deliver",
    "ingest_event_forward",
    "ingest_events_produced",
]


def ingest_event_deliver(*, ingest_event_id: int, attempt: int = 1) -> str:
    """One delivery attempt of what an ingest event produced; a temporary failure is
    tried again after its backoff. Returns what ingest_event_forward returns."""
    outcome = ingest_event_forward(ingest_event_id=ingest_event_id, attempt=attempt)
    if outcome == "retry":
        queue.deliver(ingest_event_id, attempt=attempt + 1, in_s=queue.backoff_seconds(attempt))
    return outcome


def ingest_events_produced(events: list[IngestEvent]) -> None:
    """Queue the delivery of what these ingest events produced, for those whose
    workspace forwards. Their `source` is loaded."""
    if not events:
        return
    forwarding = set(
        Forwarding.objects.filter(
            workspace_id__in={event.source.workspace_id for event in events}, enabled=True
        ).values_list("workspace_id", flat=True)
    )
    for event in events:
        if event.source.workspace_id in forwarding:
            queue.deliver(event.pk)


def forwards_sweep() -> list[int]:
    """Queue forwarding again for stored events left unsent (the task that should have
    sent them was lost), skipping events whose delivery is in progress or gave up."""
    now = timezone.now()
    quiet_since = now - timedelta(seconds=settings.SWEEP_GRACE_S + settings.RETRY_BACKOFF_CAP_S)
    unsent = (
        StoredEvent.objects.filter(
            sent_at__isnull=True,
            received_at__lt=now - timedelta(seconds=settings.SWEEP_GRACE_S),
            source__workspace__forwarding__enabled=True,
        )
        .exclude(ingest_event__deliveries__status=Delivery.Status.FAILED)
        .exclude(ingest_event__deliveries__created_at__gte=quiet_since)
        .values_list("ingest_event_id", flat=True)
        .distinct()
    )
    ids = [pk for pk in unsent[: settings.SWEEP_BATCH] if pk is not None]
    for pk in ids:
        queue.deliver(pk)
    return ids
