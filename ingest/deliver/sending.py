"""Sending one destination's due deliveries, a batch at a time.

A turn claims up to DELIVERY_BATCH_MAX due deliveries of one destination (a
conditional UPDATE, as the execute stage claims ingest events), sends what they
produced in one batch per source, and settles each: delivered, due again after a
backoff, or a delivery dead letter. Destinations never wait on each other: each has
its own turns, and a failing one backs off instead of being tried at every turn."""

import logging
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ingest import live
from ingest.deliver.destinations import Batch, DeliveryError, ObjectSet, build
from ingest.models import Delivery, Destination, ObjectChange, StoredEvent

Status = Delivery.Status
# Events (and objects) one turn sends at most; the rest waits for the next turn.
MAX_TURN_ROWS = 2_000
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """What a turn did, for the caller to queue the next one: how many deliveries it
    settled, whether more are due now, and in how many seconds the first retry it
    scheduled is due (None when it scheduled none)."""

    settled: int
    more: bool = False
    retry_in_s: float | None = None


def destination_deliver(*, destination_id: int) -> Turn:
    """One turn of a destination: claim, send, settle."""
    destination = Destination.objects.filter(pk=destination_id, enabled=True).first()
    if destination is None:
        return Turn(0)
    deliveries = _claim(destination)
    if not deliveries:
        return Turn(0)
    by_source = defaultdict(list)
    for delivery in deliveries:
        by_source[delivery.ingest_event.source].append(delivery)
    sender = build(destination)
    backing_off = False
    for source, group in by_source.items():
        backing_off |= not _send(destination, sender, source, group)
    more = len(deliveries) == settings.DELIVERY_BATCH_MAX or any(
        d.status == Status.PENDING for d in deliveries
    )
    return Turn(len(deliveries), more and not backing_off, _first_retry_in(deliveries))


def _first_retry_in(deliveries: list[Delivery]) -> float | None:
    retries = [d.next_attempt_at for d in deliveries if d.status == Status.RETRYING]
    if not retries:
        return None
    return max(0.0, (min(retries) - timezone.now()).total_seconds())


def _claim(destination: Destination) -> list[Delivery]:
    now, token = timezone.now(), uuid.uuid4()
    stale = now - timedelta(seconds=settings.DELIVERY_CLAIM_S)
    due = Delivery.objects.filter(
        Q(status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_at__lt=stale),
        destination=destination,
    )
    with transaction.atomic():
        ids = list(
            due.order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[: settings.DELIVERY_BATCH_MAX]
        )
        due.filter(pk__in=ids).update(
            status=Status.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(Delivery.objects.filter(claim=token).select_related("ingest_event__source"))


def _send(destination: Destination, sender, source, deliveries: list[Delivery]) -> bool:
    """Send one source's part of a turn and settle its deliveries; False when the
    destination failed temporarily (it is backing off)."""
    batch, progress = _batch(destination, source, deliveries)
    try:
        answer = sender.send(batch) if batch.events or batch.objects else None
    except DeliveryError as exc:
        if exc.permanent and len(deliveries) > 1:
            # Refused for good: find the culprit, each webhook's output on its own, so
            # the others are not dead letters with it.
            return all([_send(destination, sender, source, [d]) for d in deliveries])
        _failed(deliveries, exc)
        outcome = exc.permanent
    except Exception as exc:  # a fault of ours (or of a driver): retried, never lost
        logger.exception("delivery to destination %s failed", destination.pk)
        _failed(deliveries, DeliveryError(_fault(exc), permanent=False))
        outcome = False
    else:
        _delivered(deliveries, progress, answer)
        outcome = True
    live.publish_deliveries(destination, deliveries)
    return outcome


@dataclass
class _Progress:
    """How far a delivery gets with this batch: the last stored event and object
    change it sends, how many, and their message ids (to match refusals)."""

    events_to: int
    objects_to: int
    events: int = 0
    objects: int = 0
    message_ids: set = field(default_factory=set)
    event_ids: list = field(default_factory=list)
    unfinished: bool = False  # more of its output waits for the next turn


def _batch(destination: Destination, source, deliveries: list[Delivery]):
    """What the deliveries' ingest events produced that the destination has not taken,
    at most MAX_TURN_ROWS events and as many objects (a webhook may produce a thousand
    of 32 KB each: a turn's memory stays bounded), and each delivery's _Progress with
    it (by ingest event)."""
    progress = {
        d.ingest_event_id: _Progress(d.events_sent_to, d.objects_sent_to) for d in deliveries
    }
    events, objects = [], []
    if destination.messages != Destination.Messages.OBJECTS:
        rows = StoredEvent.objects.filter(ingest_event_id__in=progress).order_by("pk")
        fields = ("pk", "ingest_event_id", "message", "received_at")
        for pk, event_id, message, received_at in _unsent(rows, fields, progress, "events_to"):
            step = progress[event_id]
            # When the product received it, as Segment's own API stamps it.
            events.append({"receivedAt": received_at.isoformat(), **message})
            step.events_to, step.events = pk, step.events + 1
            step.message_ids.add(message.get("messageId"))
            step.event_ids.append(pk)
    if destination.messages != Destination.Messages.EVENTS:
        changes = ObjectChange.objects.filter(ingest_event_id__in=progress).order_by("pk")
        fields = ("pk", "ingest_event_id", "object__collection", "object__object_id", "properties")
        for pk, event_id, collection, object_id, properties in _unsent(
            changes, fields, progress, "objects_to"
        ):
            objects.append(ObjectSet(collection, object_id, properties))
            step = progress[event_id]
            step.objects_to, step.objects = pk, step.objects + 1
    return Batch(source=source.slug, events=events, objects=objects), progress


def _unsent(rows, fields, progress: dict, mark: str):
    """The rows past each delivery's mark, at most MAX_TURN_ROWS, read in chunks; the
    deliveries left with rows past the last one are marked unfinished."""
    taken = 0
    for row in rows.values_list(*fields).iterator(chunk_size=500):
        pk, event_id = row[0], row[1]
        if pk <= getattr(progress[event_id], mark):
            continue
        if taken == MAX_TURN_ROWS:
            later = rows.filter(pk__gte=pk).values_list("ingest_event_id", flat=True)
            for unfinished in set(later):
                progress[unfinished].unfinished = True
            return
        taken += 1
        yield row


SETTLED_FIELDS = [
    "status", "delivered_at", "error", "events_sent_to", "objects_sent_to", "http_status",
    "event_count", "object_count", "next_attempt_at",
]  # fmt: skip


def _delivered(deliveries, progress, answer) -> None:
    """Settle what the destination took. A delivery with an event it refused for good
    (Answer.refused) is a dead letter that keeps its events to send: a replay sends
    them again (the ones taken too; receivers de-duplicate by message id)."""
    now = timezone.now()
    refused = answer.refused if answer else {}
    for delivery in deliveries:
        step = progress[delivery.ingest_event_id]
        reasons = [f"{m}: {refused[m]}" for m in sorted(step.message_ids & set(refused))]
        delivery.http_status = answer.status if answer else None
        delivery.objects_sent_to, delivery.object_count = (
            step.objects_to,
            delivery.object_count + step.objects,
        )
        if reasons:
            delivery.status = Status.FAILED
            delivery.error = "The destination refused these events for good: " + "; ".join(reasons)
            continue
        delivery.events_sent_to, delivery.event_count = (
            step.events_to,
            delivery.event_count + step.events,
        )
        if step.unfinished:  # the rest goes with the next turn, due now
            delivery.status, delivery.next_attempt_at = Status.PENDING, now
            continue
        delivery.status, delivery.delivered_at, delivery.error = Status.DELIVERED, now, ""
    _settle(deliveries, SETTLED_FIELDS)
    # The event store shows when an event first left the product.
    sent = [
        pk
        for d in deliveries
        if d.status == Status.DELIVERED
        for pk in progress[d.ingest_event_id].event_ids
    ]
    StoredEvent.objects.filter(pk__in=sent, sent_at__isnull=True).update(sent_at=now)


def _failed(deliveries, exc: DeliveryError) -> None:
    now = timezone.now()
    give_up_before = now - timedelta(hours=settings.DELIVERY_RETRY_HOURS)
    for delivery in deliveries:
        final = exc.permanent or delivery.created_at < give_up_before
        delivery.status = Status.FAILED if final else Status.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=_wait(delivery.attempts, exc))
        delivery.http_status, delivery.error = exc.status, _error_text(exc)
    _settle(deliveries, ["status", "next_attempt_at", "http_status", "error"])


def _wait(attempts: int, exc: DeliveryError) -> float:
    """Exponential backoff with jitter, and never sooner than the destination asked."""
    base, cap = settings.DELIVERY_BACKOFF_BASE_S, settings.DELIVERY_BACKOFF_CAP_S
    backoff = min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
    return max(backoff, min(exc.retry_after or 0.0, cap))


def _error_text(exc: DeliveryError) -> str:
    return f"{exc}\n{exc.detail}".strip() if exc.detail else str(exc)


def _fault(exc: Exception) -> str:
    # The type only: a driver's message may hold a DSN or a key.
    return f"The delivery failed on our side ({type(exc).__name__}); it will be retried."


def _settle(deliveries: list[Delivery], fields: list[str]) -> None:
    """Write the outcome of the deliveries still claimed by this turn (a replay meanwhile
    took back the others: they are due again, with their old marks)."""
    with transaction.atomic():
        current = set(
            Delivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in deliveries], claim__in={d.claim for d in deliveries})
            .values_list("pk", flat=True)
        )
        Delivery.objects.bulk_update([d for d in deliveries if d.pk in current], fields)
