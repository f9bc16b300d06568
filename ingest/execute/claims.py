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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from catalog import run_policy
from catalog.models import FunctionVersion, Source
from ingest import sql
from ingest.execute.sharing import Seat, Shares
from ingest.models import IngestEvent
from ingest.record import RELAXED_COMMIT_CALL, relaxed_commit

Status = IngestEvent.Status
# How much earlier than planned a retry's task may arrive and still be taken.
CLOCK_SKEW = timedelta(seconds=1)


def claim_timeout(time_limit_ms: int | None = None) -> timedelta:
    """How long a claim on events of a version with this time limit (as the version
    stores it: None is the deployment's default) holds before a sweep may hand them to
    another worker: longer than their batch can take, so a live run is never executed
    twice at once. The record that follows holds its events locked, however long it
    takes (see claim)."""
    return timedelta(
        milliseconds=run_policy.time_limit(time_limit_ms), seconds=settings.CLAIM_MARGIN_S
    )


def longest_claim() -> timedelta:
    """The claim of the longest time limit any version may have: no live claim is older."""
    return claim_timeout(max(run_policy.MAX_TIME_LIMIT_MS, run_policy.time_limit(None)))


def shortest_claim() -> timedelta:
    """The claim of the shortest time limit: no lapsed claim is younger."""
    return claim_timeout(min(run_policy.MIN_TIME_LIMIT_MS, run_policy.time_limit(None)))


def lapsed(rows, now: datetime) -> list[int]:
    """Of (pk, claimed_at, version's time_limit_ms) rows of running events, the ids whose
    claim has lapsed: each claim lasts as long as its own version's runs may."""
    return [pk for pk, claimed_at, limit in rows if claimed_at < now - claim_timeout(limit)]


def batch_size(time_limit_ms: int | None = None) -> int:
    """How many events of a version with this time limit (None: the default) run in one
    batch. Its executions run one after another, each taking at most
    runner.Limits.worst_execution_s: the last must end before its claim expires. A
    version with a 10 s limit runs one event per batch; a turn runs batches only while
    it has run for less than half a claim (ingest.execute), so a turn of slow runs
    holds its thread about a claim's length, whatever the function's limit."""
    limits = replace(settings.RUNNER_LIMITS, timeout_ms=run_policy.time_limit(time_limit_ms))
    fits = int(claim_timeout(time_limit_ms).total_seconds() / limits.worst_execution_s)
    return max(1, min(settings.INGEST_BATCH_MAX, fits))


def batches(ids: Sequence[int]) -> list[list[int]]:
    """The ids in batches of one version, of at most its batch_size() each. Each batch is
    claimed when its turn to run comes: a batch claimed with the others would wait,
    its claim ageing, while they run and are recorded."""
    if len(ids) <= 1:
        return [list(ids)]
    by_version: dict[int, list[int]] = {}
    limits: dict[int, int | None] = {}
    rows = IngestEvent.objects.filter(pk__in=ids).values_list(
        "pk", "version_id", "version__time_limit_ms"
    )
    for pk, version_id, limit in rows:
        by_version.setdefault(version_id, []).append(pk)
        limits[version_id] = limit
    sizes = {version_id: batch_size(limit) for version_id, limit in limits.items()}
    return [
        group[start : start + sizes[version_id]]
        for version_id, group in by_version.items()
        for start in range(0, len(group), sizes[version_id])
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
            stale = events.filter(status=Status.RUNNING, claimed_at__lt=now - shortest_claim())
            lost = lapsed(_unlocked(stale, "claimed_at", "version__time_limit_ms"), now)
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
    """What a turn claimed: due events of one version of one workspace, and the status
    each had before (release puts back those the turn does not run). `more` when due
    work is left that another thread may take at once."""

    workspace_id: int
    events: list[IngestEvent]
    more: bool
    were: dict[int, str]


@dataclass
class _Waiting:
    """A workspace with due events."""

    due: int  # events
    claims: int  # running, each a thread of some worker


def claim_next(shares: Shares, queued_for: int | None = None) -> Turn | None:
    """Claim the fairest due work: the oldest due events of one version, at most a
    batch, of the workspace with the fewest claims running; among equals, the one this
    process served least recently, so workspaces take turns (then the one waiting
    longest). Only within the workspace's share of this process's threads (one event
    on a reserved thread): the turn holds it (shares.enter) until the caller leaves it.
    None when nothing due may run here.

    A turn queued for a workspace's webhooks reads the survey again when they are not
    in it, or another workspace's work could take the turn their webhooks queued."""
    now = timezone.now()
    waiting, fresh = _survey.read(now)
    if queued_for is not None and queued_for not in waiting and not fresh:
        waiting, fresh = _survey.read(now, again=True)
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
    for workspace_id in order:
        seat = shares.enter(workspace_id)
        if seat is None:
            turned_away = True
            continue
        # Whether more is due is read with the claim, not from the survey: what it says
        # may be gone or incomplete, and the turn queued for what is left may be this one.
        events, were, more = _claim_oldest(workspace_id, now, reserved=seat is Seat.RESERVED)
        if events:
            return Turn(workspace_id, events, more, were), turned_away
        shares.leave(workspace_id)  # another turn took them meanwhile
    return None, turned_away


def hold(events: list[IngestEvent]) -> None:
    """Extend the claims of these events (all of one version) when they would not last
    half a claim more, so a sweep does not queue them again (it would find them locked
    while they are recorded, and skip them, but a task is spent). Claims another worker
    took meanwhile are left as they are; the record drops those events."""
    if not events:
        return
    now = timezone.now()
    claim = claim_timeout(events[0].version.time_limit_ms)
    if all(now - e.claimed_at + claim / 2 < claim for e in events):
        return
    IngestEvent.objects.filter(
        pk__in=[e.pk for e in events], claim__in={e.claim for e in events}, status=Status.RUNNING
    ).update(claimed_at=now)
    for event in events:
        event.claimed_at = now


def release(events: list[IngestEvent], were: dict[int, str]) -> None:
    """Give back claimed events that were not run: due again as they were before the
    claim (`were`: pending or retrying), their attempt not counted. Events whose claim
    another worker took meanwhile are left alone."""
    for status in set(were[e.pk] for e in events):
        IngestEvent.objects.filter(
            pk__in=[e.pk for e in events if were[e.pk] == status],
            claim__in={e.claim for e in events},
            status=Status.RUNNING,
        ).update(status=status, attempts=F("attempts") - 1, claim=None, claimed_at=None)


def _due(now: datetime) -> Q:
    return Q(status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=now)


def _take(due: QuerySet, now: datetime, token: uuid.UUID) -> int:
    return due.update(
        status=Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1, claim=token
    )


def _unlocked(events: QuerySet, *more: str) -> QuerySet:
    """The events' ids (or rows of the id and `more` fields), locked for this
    transaction, those locked by another (a claim, a record under way) skipped. (SQLite
    has no row locks: it runs one write at a time.)"""
    locked = events.select_for_update(skip_locked=True, of=("self",))
    return locked.values_list("pk", *more) if more else locked.values_list("pk", flat=True)


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
    running = "e.status = %s AND e.claimed_at >= %s"
    statement = (
        f"SELECT s.workspace_id, COUNT(e.id) FILTER (WHERE {_DUE_SQL}) AS due, "
        f"COUNT(DISTINCT e.claim) FILTER (WHERE {running}) "
        "FROM ingest_ingestevent e JOIN catalog_source s ON s.id = e.source_id "
        f"WHERE ({_DUE_SQL}) OR ({running}) GROUP BY s.workspace_id "
        f"HAVING COUNT(e.id) FILTER (WHERE {_DUE_SQL}) > 0 "
        f"ORDER BY MIN(e.next_attempt_at) FILTER (WHERE {_DUE_SQL})"
    )
    due = _due_params(now)
    running_params = [Status.RUNNING, sql.value(IngestEvent, "claimed_at", now - longest_claim())]
    params = [*due, *running_params, *due, *running_params, *due, *due]
    return {
        workspace_id: _Waiting(count, claims)
        for workspace_id, count, claims in sql.rows(statement, params)
    }


def _claim_oldest(
    workspace_id: int, now: datetime, *, reserved: bool
) -> tuple[list[IngestEvent], dict[int, str], bool]:
    """Claim the workspace's oldest due events of one version (the oldest one's), at
    most INGEST_BATCH_MAX (one on a reserved thread). Events another turn is claiming
    are skipped, not waited for. Returns them, the status each had, and whether due
    work is left that another turn may take: more of that version than it took, or
    any other.

    In SQL of its own, as few statements as it takes: every turn runs it, and compiling
    the ORM's queries was most of a turn's CPU."""
    most = 1 if reserved else settings.INGEST_BATCH_MAX
    claim = _claim_at_once if connection.vendor == "postgresql" else _claim_in_steps
    events, more = claim(workspace_id, now, most, uuid.uuid4())
    _attach(events)
    return events, {e.pk: e.was for e in events}, more


_DUE_SQL = "e.status IN (%s, %s) AND e.next_attempt_at <= %s"


def _due_params(now: datetime) -> list:
    return [Status.PENDING, Status.RETRYING, sql.value(IngestEvent, "next_attempt_at", now)]


def _claim_at_once(
    workspace_id: int, now: datetime, most: int, token: uuid.UUID
) -> tuple[list[IngestEvent], bool]:
    """The claim in one statement, so in one round trip: the pick (locked, others'
    claims skipped), the take, the look for more, and the relaxed commit, a setting
    of the statement's own transaction (see ingest.record.relaxed_commit). More is
    looked for in the statement's snapshot: events another turn takes meanwhile count
    as due, which costs at most a turn that finds nothing."""
    first = "(SELECT id FROM picked ORDER BY next_attempt_at, id LIMIT %s)"
    was = "(SELECT status FROM picked p WHERE p.id = e.id)"
    statement = (
        f"WITH picked AS ({_pick_sql()}), relaxed AS (SELECT {RELAXED_COMMIT_CALL}), "
        f"taken AS ({_take_sql(first, also=was)}) "
        "SELECT taken.*, (SELECT COUNT(*) FROM picked) > %s OR EXISTS (SELECT 1 FROM "
        f"ingest_ingestevent e WHERE {_DUE_SQL} AND e.id NOT IN (SELECT id FROM picked)) "
        "FROM taken CROSS JOIN relaxed"
    )
    pick = [*_due_params(now), workspace_id] * 2 + [most + 1]
    params = [*pick, *_taken_params(now, token), most, most, *_due_params(now)]
    events = sql.instances(IngestEvent, statement, params, extra=("was", "more"))
    return _in_order(events), any(e.more for e in events)


def _claim_in_steps(
    workspace_id: int, now: datetime, most: int, token: uuid.UUID
) -> tuple[list[IngestEvent], bool]:
    """The claim as a transaction of a pick and a take (SQLite returns only the rows of
    the table an UPDATE changes), then the look for more."""
    with transaction.atomic():
        rows = sql.rows(_pick_sql(), [*_due_params(now), workspace_id] * 2 + [most + 1])
        were = {pk: status for pk, status, _ in rows[:most]}
        events = []
        if were:  # a write transaction (IMMEDIATE): no other turn takes them meanwhile
            take = _take_sql(f"({sql.placeholders(were)})")
            events = sql.instances(IngestEvent, take, [*_taken_params(now, token), *were])
    for event in events:
        event.was = were[event.pk]
    return _in_order(events), len(rows) > most or _any_due(timezone.now())


def _pick_sql() -> str:
    """A workspace's oldest due events of the version of its oldest, in order, rows of
    (id, status, next_attempt_at); locked, those another transaction holds skipped."""
    of_workspace = (
        "FROM ingest_ingestevent e JOIN catalog_source s ON s.id = e.source_id "
        f"WHERE {_DUE_SQL} AND s.workspace_id = %s"
    )
    oldest = f"SELECT e.version_id {of_workspace} ORDER BY e.next_attempt_at, e.id LIMIT 1"
    return (
        f"SELECT e.id, e.status, e.next_attempt_at {of_workspace} AND e.version_id = "
        f"({oldest}) ORDER BY e.next_attempt_at, e.id LIMIT %s"
        f"{sql.for_update(skip_locked=True, of='e')}"
    )


def _take_sql(ids: str, *, also: str = "") -> str:
    """Claim the events of these ids (an IN list, or a statement that reads them),
    returning their rows (and `also`, a column after them)."""
    return (
        "UPDATE ingest_ingestevent AS e SET status = %s, claimed_at = %s, "
        f"attempts = attempts + 1, claim = %s WHERE e.id IN {ids} "
        f"RETURNING {sql.columns(IngestEvent)}{f', {also}' if also else ''}"
    )


def _taken_params(now: datetime, token: uuid.UUID) -> list:
    return [
        Status.RUNNING,
        sql.value(IngestEvent, "claimed_at", now),
        sql.value(IngestEvent, "claim", token),
    ]


def _in_order(events: list[IngestEvent]) -> list[IngestEvent]:
    return sorted(events, key=lambda e: (e.next_attempt_at, e.pk))


def _any_due(now: datetime) -> bool:
    return bool(
        sql.rows(f"SELECT 1 FROM ingest_ingestevent e WHERE {_DUE_SQL} LIMIT 1", _due_params(now))
    )


def _claimed_by(events: QuerySet) -> list[IngestEvent]:
    mine = list(events)
    _attach(mine)
    return mine


def _attach(events: list[IngestEvent]) -> None:
    """Each event's version and source: one query for each (the turn runs one version),
    however many events."""
    if not events:
        return
    versions = sql.by_pk(FunctionVersion, {e.version_id for e in events})
    sources = _sources(list({e.source_id for e in events}))
    for event in events:
        event.version, event.source = versions[event.version_id], sources[event.source_id]


def _sources(ids: list[int]) -> dict[int, Source]:
    """The sources, secrets included. Should a secret not decrypt, the sources are read
    without them, so that it fails the runs that read it (retried as an error of ours),
    not the claim."""
    try:
        return sql.by_pk(Source, ids)
    except Exception:
        return Source.objects.defer("secret_values").in_bulk(ids)


_survey = _Survey()
