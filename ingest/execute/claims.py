"""Claims: which worker runs which ingest events, and for how long.

One conditional UPDATE takes the due events and marks them with a claim token of this
worker, so one query tells it which it got: a finished event, or one another worker
holds, is left alone, and a duplicate task does nothing.

A turn (claim_next) chooses what to run itself, fairly between workspaces; a task that
names its events (a retry, a replay, the sweep) claims those (claim)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Source
from ingest.execute.sharing import Shares
from ingest.models import IngestEvent
from ingest.record import relaxed_commit

Status = IngestEvent.Status
# How much earlier than planned a retry's task may arrive and still be taken.
CLOCK_SKEW = timedelta(seconds=1)


def claim_timeout() -> timedelta:
    """How long a claim holds before a sweep may hand the event to another worker:
    longer than a run can take, so a live run is never executed twice at once. The
    record that follows holds its events locked, however long it takes (see claim)."""
    limits = settings.RUNNER_LIMITS
    return timedelta(milliseconds=limits.timeout_ms, seconds=settings.CLAIM_MARGIN_S)


def batch_size() -> int:
    """How many events of one version run in one batch. Its executions run one after
    another, each taking at most runner.Limits.worst_execution_s: the last must end
    before its claim expires."""
    fits = int(claim_timeout().total_seconds() / settings.RUNNER_LIMITS.worst_execution_s)
    return max(1, min(settings.INGEST_BATCH_MAX, fits))


def batches(ids: Sequence[int]) -> list[list[int]]:
    """The ids in batches of one version, of at most batch_size() each. Each batch is
    claimed when its turn to run comes: a batch claimed with the others would wait,
    its claim ageing, while they run and are recorded."""
    if len(ids) <= 1:
        return [list(ids)]
    size = batch_size()
    by_version: dict[int, list[int]] = {}
    for pk, version_id in IngestEvent.objects.filter(pk__in=ids).values_list("pk", "version_id"):
        by_version.setdefault(version_id, []).append(pk)
    return [
        group[start : start + size]
        for group in by_version.values()
        for start in range(0, len(group), size)
    ]


def claim(ids: list[int]) -> tuple[list[IngestEvent], list[IngestEvent]]:
    """Take the events for this worker. Returns (claimed, lost): the events to run, and
    those whose previous attempt's worker died mid-run. Finished events and events
    another worker holds are in neither.

    An event being recorded is locked by its record's transaction: a claim older than
    claim_timeout() is not lost while that holds, and is skipped, not waited for."""
    now = timezone.now()
    due_claim, lost_claim = uuid.uuid4(), uuid.uuid4()
    events = IngestEvent.objects.filter(pk__in=ids)
    with transaction.atomic():
        relaxed_commit()
        # A duplicate task (redelivered, or queued again by the sweep) must not cut a
        # retry's backoff short: only a due event is taken.
        taken = _take(events.filter(_due(now + CLOCK_SKEW)), now, due_claim)
        if taken < len(ids):
            stale = events.filter(status=Status.RUNNING, claimed_at__lt=now - claim_timeout())
            lost = list(_unlocked(stale))
            # The lost attempt was counted when it was claimed; this only records it.
            IngestEvent.objects.filter(pk__in=lost).update(claimed_at=now, claim=lost_claim)
    mine = _claimed_by(events.filter(claim__in=[due_claim, lost_claim]))
    return [e for e in mine if e.claim == due_claim], [e for e in mine if e.claim == lost_claim]


@dataclass
class Turn:
    """What a turn claimed: due events of one version of one workspace. `more` when
    it saw other due work that another thread may take at once."""

    workspace_id: int
    events: list[IngestEvent]
    more: bool


def claim_next(shares: Shares) -> Turn | None:
    """Claim the fairest due work: the oldest due events of one version, at most a
    batch, of the workspace with the fewest claims running; among equals, the one this
    process served least recently, so workspaces take turns (then the one waiting
    longest). Only within the workspace's share of this process's threads: the turn
    holds it (shares.enter) until the caller leaves it. None when nothing due may run
    here."""
    now = timezone.now()
    waiting = _waiting_workspaces(now)
    order = _fairest_first(waiting, shares)
    turned_away = False
    for index, workspace_id in enumerate(order):
        if not shares.enter(workspace_id):
            turned_away = True
            continue
        events = _claim_oldest(workspace_id, now)
        if events:
            more = len(events) < waiting[workspace_id].due
            more = more or any(shares.allows(w) for w in order[index + 1 :])
            return Turn(workspace_id, events, more)
        shares.leave(workspace_id)  # another turn took them meanwhile
    if turned_away:
        shares.turned_away()
    return None


def hold(events: list[IngestEvent], *, for_s: float) -> None:
    """Extend the claims of these events when they would not last `for_s` seconds
    more, so a sweep does not queue them again (it would find them locked while
    they are recorded, and skip them, but a task is spent). Claims another worker
    took meanwhile are left as they are; the record drops those events."""
    now = timezone.now()
    if all(now - e.claimed_at + timedelta(seconds=for_s) < claim_timeout() for e in events):
        return
    IngestEvent.objects.filter(
        pk__in=[e.pk for e in events], claim__in={e.claim for e in events}, status=Status.RUNNING
    ).update(claimed_at=now)
    for event in events:
        event.claimed_at = now


def _due(now: datetime) -> Q:
    return Q(status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=now)


def _take(due: QuerySet, now: datetime, token: uuid.UUID) -> int:
    return due.update(
        status=Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1, claim=token
    )


def _unlocked(events: QuerySet) -> QuerySet:
    """The events' ids, locked for this transaction, those locked by another (a claim,
    a record under way) skipped. (SQLite has no row locks: it runs one write at a time.)"""
    return events.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)


@dataclass
class _Waiting:
    due: int  # events
    claims: int  # running, each a thread of some worker


def _fairest_first(waiting: dict[int, _Waiting], shares: Shares) -> list[int]:
    """The waiting workspaces (oldest due first) in the order of turns. Both sorts are
    stable, so each keeps the order of the one before among equals."""
    return sorted(shares.least_recently_served(waiting), key=lambda w: waiting[w].claims)


def _waiting_workspaces(now: datetime) -> dict[int, _Waiting]:
    """Workspaces with due events, the one whose oldest due event waits longest first."""
    due = _due(now)
    running = Q(status=Status.RUNNING, claimed_at__gte=now - claim_timeout())
    rows = (
        IngestEvent.objects.filter(due | running)
        .values("source__workspace_id")
        .annotate(
            oldest=Min("next_attempt_at", filter=due),
            due=Count("pk", filter=due),
            claims=Count("claim", filter=running, distinct=True),
        )
        .filter(due__gt=0)
        .order_by("oldest")
    )
    return {row["source__workspace_id"]: _Waiting(row["due"], row["claims"]) for row in rows}


def _claim_oldest(workspace_id: int, now: datetime) -> list[IngestEvent]:
    """Claim the workspace's oldest due events of one version (the oldest one's), at
    most a batch. Events another turn is claiming are skipped, not waited for."""
    token = uuid.uuid4()
    due = IngestEvent.objects.filter(_due(now), source__workspace_id=workspace_id)
    oldest = due.order_by("next_attempt_at", "pk").values("version_id")[:1]
    with transaction.atomic():
        relaxed_commit()
        batch = due.filter(version_id=Subquery(oldest)).order_by("next_attempt_at", "pk")
        ids = list(_unlocked(batch)[: batch_size()])
        events = IngestEvent.objects.filter(pk__in=ids)
        # Again with the conditions: on SQLite another turn may have taken some.
        if not ids or not _take(events.filter(_due(now)), now, token):
            return []
    return _claimed_by(events.filter(claim=token))


def _claimed_by(events: QuerySet) -> list[IngestEvent]:
    mine = list(events.select_related("version"))
    _attach_sources(mine)
    return mine


def _attach_sources(events: list[IngestEvent]) -> None:
    """One query per source, however many events. Secrets are decrypted when the run
    reads them, so a value that cannot be decrypted fails that run (retried as an
    error of ours), not the claim."""
    sources = Source.objects.defer("secret_values").in_bulk({e.source_id for e in events})
    for event in events:
        event.source = sources[event.source_id]
