"""The deliver stage: everything that leaves the product (docs/destinations.md).

The record stage adds the deliveries of what it stored in its own transaction
(deliveries_add), so output is never kept without them, and once it commits asks for
turns of the destinations that have new work (destinations_due). A turn sends one
destination's due deliveries (ingest.deliver.sending); the sweep queues turns that
were lost."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ingest import queue
from ingest.deliver.routes import deliveries_add, destinations_of
from ingest.deliver.sending import destination_deliver as _turn
from ingest.deliver.slots import slots
from ingest.models import Delivery

# A turn that found no free slot waits this long before it is tried again.
SLOT_WAIT_S = 0.5

__all__ = [
    "count_worker_threads_with",
    "deliveries_add",
    "deliveries_sweep",
    "destination_deliver",
    "destinations_due",
    "destinations_of",
]


def destinations_due(destination_ids: set[int]) -> None:
    """Queue a turn of each destination, soon: the deliveries that arrive meanwhile
    go in the same batch."""
    for destination_id in destination_ids:
        queue.deliver_soon(destination_id)


def destination_deliver(*, destination_id: int) -> int:
    """One turn of a destination, if this process has a slot for it (else it is queued
    again, after SLOT_WAIT_S); another is queued at once when more is due, else for
    when the first retry it scheduled is due. Returns how many deliveries were settled."""
    if not slots.take(destination_id):
        queue.deliver(destination_id, in_s=SLOT_WAIT_S)
        return 0
    try:
        turn = _turn(destination_id=destination_id)
    finally:
        slots.give_back(destination_id)
    if turn.more:
        queue.deliver(destination_id)
    elif turn.retry_in_s is not None:
        queue.deliver(destination_id, in_s=turn.retry_in_s)
    return turn.settled


def count_worker_threads_with(threads) -> None:
    """How many threads this process runs turns on (see ingest.deliver.slots)."""
    slots.count_threads_with(threads)


def deliveries_sweep() -> list[int]:
    """Queue a turn of every destination with deliveries due for longer than the
    grace (their turn was lost) or claimed by a turn that died."""
    now = timezone.now()
    late = Q(
        status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
        next_attempt_at__lt=now - timedelta(seconds=settings.SWEEP_GRACE_S),
    ) | Q(
        status=Delivery.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.DELIVERY_CLAIM_S),
    )
    ids = sorted(
        set(
            Delivery.objects.filter(late, destination__enabled=True).values_list(
                "destination_id", flat=True
            )
        )
    )
    for destination_id in ids:
        queue.deliver(destination_id)
    return ids
