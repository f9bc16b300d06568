"""Dead letters and replays, the sweep that finds lost tasks, and retention."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from catalog import policy
from catalog.policy import Action
from ingest import deliver, previews, queue
from ingest.execute.claims import lapsed, shortest_claim
from ingest.models import Delivery, Execution, IngestEvent

Status = IngestEvent.Status


def dead_letters_replay(
    *, actor, source, ingest_event_ids: list[int] | None, version: str = "pinned",
    redeliver: bool = False,
) -> list[int]:  # fmt: skip
    """Queue dead letters of a source again, all of them when ids is None; the actor
    must be allowed to replay (PermissionDenied otherwise).

    `version` is "pinned" (the source's pinned version) or "deployed" (the function's
    deployed version). Each replay starts a fresh round of attempts, recorded as
    executions marked as replays. `redeliver`: what the replays emit goes to the
    destinations even where its message ids were stored (and delivered) before.
    Returns the ids queued; ids that are not dead letters of this source are ignored."""
    policy.require(policy.membership_of(actor, source.workspace), Action.REPLAY, source)
    if version not in ("pinned", "deployed"):
        raise ValueError('version must be "pinned" or "deployed".')
    version_id = source.version_id if version == "pinned" else source.function.deployed_version_id
    dead = IngestEvent.objects.filter(source=source, status=Status.FAILED)
    if ingest_event_ids is not None:
        dead = dead.filter(pk__in=ingest_event_ids)
    with transaction.atomic():
        ids = list(dead.select_for_update().values_list("pk", flat=True))
        IngestEvent.objects.filter(pk__in=ids).update(
            status=Status.PENDING,
            version_id=_replayed_version(source, version, version_id),
            attempts=0,
            replays=F("replays") + 1,
            redeliver=redeliver,
            next_attempt_at=timezone.now(),
            finished_at=None,
        )
        # robust: a broker hiccup must not undo the replay; the sweep queues them.
        transaction.on_commit(lambda: queue.execute(ids), robust=True)
    return ids


def _replayed_version(source, version: str, version_id: int):
    """During a rollout, a replay on the pinned version keeps each event's own side of
    it: one that ran on the new version runs on it again."""
    if version != "pinned" or source.rollout_version_id is None:
        return version_id
    keeps = When(version_id=source.rollout_version_id, then=F("version_id"))
    return Case(keeps, default=Value(version_id))


def delivery_dead_letters_replay(
    *, actor, destination, delivery_ids: list[int] | None
) -> list[int]:
    """Send a destination's delivery dead letters again, all of them when ids is None;
    owners only. Each starts a fresh round of retries. Returns the ids queued; ids that
    are not dead letters of this destination are ignored."""
    policy.require(policy.membership_of(actor, destination.workspace), Action.MANAGE_DESTINATIONS)
    dead = Delivery.objects.filter(destination=destination, status=Delivery.Status.FAILED)
    if delivery_ids is not None:
        dead = dead.filter(pk__in=delivery_ids)
    with transaction.atomic():
        ids = list(dead.select_for_update().values_list("pk", flat=True))
        now = timezone.now()
        # A fresh window of DELIVERY_RETRY_HOURS, counted from the replay.
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now, created_at=now,
            claim=None,
        )  # fmt: skip
        if ids:
            transaction.on_commit(lambda: queue.deliver(destination.pk), robust=True)
    return ids


def ingest_events_sweep() -> list[int]:
    """Queue again the events whose task was lost: due ones still waiting well after
    they should have run, and ones claimed by a worker that died mid-run."""
    now = timezone.now()
    grace = timedelta(seconds=settings.SWEEP_GRACE_S)
    waiting = IngestEvent.objects.filter(
        status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lt=now - grace
    ).values_list("pk", flat=True)[: settings.SWEEP_BATCH]
    # Each claim lasts as long as its version's runs may (a 10 s limit, a longer claim).
    running = IngestEvent.objects.filter(
        status=Status.RUNNING, claimed_at__lt=now - shortest_claim()
    ).values_list("pk", "claimed_at", "version__time_limit_ms")[: settings.SWEEP_BATCH]
    ids = (list(waiting) + lapsed(running, now))[: settings.SWEEP_BATCH]
    # Not swept again until the grace has passed once more, however long the queue.
    IngestEvent.objects.filter(pk__in=ids, status__in=[Status.PENDING, Status.RETRYING]).update(
        next_attempt_at=now
    )
    queue.execute(ids)
    deliver.deliveries_sweep()
    previews.previews_sweep()
    return ids


def retention_cleanup() -> int:
    """Delete finished ingest events (with their executions) older than the retention,
    and previews on recent traffic kept their 24 hours."""
    previews.previews_expire()
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_DAYS)
    old = IngestEvent.objects.filter(
        status__in=[Status.SUCCEEDED, Status.FAILED], received_at__lt=cutoff
    )
    Execution.objects.filter(started_at__lt=cutoff).exclude(
        ingest_event__status__in=[Status.PENDING, Status.RUNNING, Status.RETRYING]
    ).delete()
    deleted, _ = old.delete()
    return deleted
