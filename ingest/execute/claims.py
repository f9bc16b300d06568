"""Claims: which worker runs which ingest events, and for how long.

One conditional UPDATE takes the due events and marks them with a claim token of this
worker, so one query tells it which it got: a finished event, or one another worker
holds, is left alone, and a duplicate task does nothing.

A turn (claim_next) chooses what to run itself, fairly between workspaces; a task that
names its events (a retry, a replay, the sweep) claims those (claim)."""

import math
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Source
from ingest.execute.sharing import Seat, Shares
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


def claim_held(ingest_event_id: int) -> IngestEvent | None:
    """Take the webhook of a function that responds to its sender, for its run at once:
    the event is pending, held back from turns until its sender stops waiting
    (ingest.receive), and is taken whatever its due time. None when it is not pending
    any more (a turn took it once the sender stopped waiting, or a duplicate task ran)."""
    token = uuid.uuid4()
    events = IngestEvent.objects.filter(pk=ingest_event_id)
    with transaction.atomic():
        relaxed_commit()
        if not _take(events.filter(status=Status.PENDING), timezone.now(), token):
            return None
    mine = _claimed_by(events.filter(claim=token))
    return mine[0] if mine else None


@dataclass
class Turn:
    """What a turn claimed: due events of one version of one workspace. `more` when
    it saw other due work that another thread may take at once."""

    workspace_id: int
    events: list[IngestEvent]
    more: bool


@dataclass
class _Waiting:
    """A workspace with due events."""

    due: int  # events
    claims: int  # running, each a thread of some worker


def claim_next(shares: Shares) -> Turn | None:
    """Claim the fairest due work: the oldest due events of one version, at most a
    batch, of the workspace with the fewest claims running; among equals, the one this
    process served least recently, so workspaces take turns (then the one waiting
    longest). Only within the workspace's share of this process's threads (one event
    on a reserved thread): the turn holds it (shares.enter) until the caller leaves it.
    None when nothing due may run here."""
    now = timezone.now()
    waiting, fresh = _survey.read(now)
    turn, turned_away = _claim_fairest(waiting, shares, now)
    if turn is None and not fresh:  # what was read a moment ago may be out of date
        waiting, _ = _survey.read(now, again=True)
        turn, turned_away = _claim_fairest(waiting, shares, now)
    if turn is None and turned_away:
        shares.turned_away()
    return turn


def _claim_fairest(
    waiting: dict[int, _Waiting], shares: Shares, now: datetime
) -> tuple[Turn | None, bool]:
    """The turn, and whether work was left to a workspace's share."""
    order = _fairest_first(waiting, shares)
    turned_away = False
    for index, workspace_id in enumerate(order):
        seat = shares.enter(workspace_id)
        if seat is None:
            turned_away = True
            continue
        events = _claim_oldest(workspace_id, now, 1 if seat is Seat.RESERVED else batch_size())
        if events:
            more = len(events) < waiting[workspace_id].due
            more = more or any(shares.allows(w) for w in order[index + 1 :])
            return Turn(workspace_id, events, more), turned_away
        shares.leave(workspace_id)  # another turn took them meanwhile
    return None, turned_away


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


def _fairest_first(waiting: dict[int, _Waiting], shares: Shares) -> list[int]:
    """The waiting workspaces (oldest due first) in the order of turns. Both sorts are
    stable, so each keeps the order of the one before among equals."""
    return sorted(shares.least_recently_served(waiting), key=lambda w: waiting[w].claims)


class _Survey:
    """Which workspaces wait, read at most every few tens of milliseconds per process.

    The query reads every due event, so under a backlog it costs (about 18 ms for
    10,000 due events, 90 ms for 100,000): turns in quick succession share one reading,
    for ten times what it cost (at least 20 ms, at most half a second). A turn that
    finds nothing to claim in a reading older than itself reads again, so a webhook on
    a quiet machine still runs at once; the order of turns among workspaces (least
    recently served first) is kept live in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, _Waiting] = {}
        self._read_at = -math.inf
        self._keep_s = 0.0

    def read(self, now: datetime, *, again: bool = False) -> tuple[dict[int, _Waiting], bool]:
        """The waiting workspaces, and whether they were read for this call."""
        with self._lock:
            if not again and time.monotonic() - self._read_at < self._keep_s:
                return self._waiting, False
        started = time.monotonic()
        waiting = _waiting_workspaces(now)
        cost = time.monotonic() - started
        with self._lock:
            self._waiting, self._read_at = waiting, time.monotonic()
            self._keep_s = min(0.5, max(0.02, 10 * cost))
        return waiting, True


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


def _claim_oldest(workspace_id: int, now: datetime, most: int) -> list[IngestEvent]:
    """Claim the workspace's oldest due events of one version (the oldest one's), at
    most `most`. Events another turn is claiming are skipped, not waited for."""
    token = uuid.uuid4()
    due = IngestEvent.objects.filter(_due(now), source__workspace_id=workspace_id)
    oldest = due.order_by("next_attempt_at", "pk").values("version_id")[:1]
    with transaction.atomic():
        relaxed_commit()
        batch = due.filter(version_id=Subquery(oldest)).order_by("next_attempt_at", "pk")
        ids = list(_unlocked(batch)[:most])
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


_survey = _Survey()
