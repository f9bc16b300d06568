"""The execute stage: claim ingest events, run each version's events through the
runner as one batch, and hand every attempt to the record stage.

Work comes in turns (ingest_events_execute_next): the worker chooses, when it claims,
the fairest due work, so one workspace's backlog cannot hold back another's. Tasks
that name their events (retries, replays, the sweep) run those.

One event's failure stays that event's: an event whose invocation cannot be built (its
request, its source's secrets) fails alone, and the runner isolates the executions of
a batch from one another."""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

import runner
from catalog.services import source_runtime_settings
from ingest import deliver, queue
from ingest.execute import runtime
from ingest.execute.cache import cache_scope
from ingest.execute.claims import (
    batch_size,
    batches,
    claim,
    claim_held,
    claim_next,
    claim_timeout,
    hold,
    release,
)
from ingest.execute.sharing import shares
from ingest.models import Execution, IngestEvent
from ingest.record import Attempt, attempts_record

__all__ = [
    "batch_size",
    "claim_timeout",
    "count_worker_threads_with",
    "ingest_event_execute",
    "ingest_event_respond",
    "ingest_events_execute",
    "ingest_events_execute_next",
]

logger = logging.getLogger(__name__)
# Events and objects of a turn's runs recorded in one transaction, at about the most: a
# turn of functions that emit many records them batch by batch.
RECORD_OUTPUTS = 2000


def ingest_events_execute(*, ingest_event_ids: Sequence[int]) -> list[Execution]:
    """Run one attempt of each ingest event given. Idempotent: finished events and
    events another worker is running are left alone (no execution is returned for them).

    An event whose worker died mid-run (killed, or the function crashed it) gets that
    attempt recorded as a WorkerLostError and follows the usual retry rules, so a
    function that kills its worker cannot do so forever."""
    executions = []
    for batch in batches(ingest_event_ids):
        executions += _execute(batch)
    return executions


def ingest_event_execute(*, ingest_event_id: int) -> Execution | None:
    """Run one attempt of one ingest event (see ingest_events_execute)."""
    executions = ingest_events_execute(ingest_event_ids=[ingest_event_id])
    return executions[0] if executions else None


def ingest_event_respond(*, ingest_event_id: int, workspace_id: int | None = None) -> dict:
    """Run the webhook of a function that responds to its sender at once (a task of the
    interactive queue) and say what the sender gets: `{"status", "response"}`, the
    status of the recorded execution and the response it returned (null: none). The
    execution is recorded as any other, and its retries follow the usual rules; status
    is null when the event was not run here (it was no longer pending). Within the
    share of this process's threads of its workspace (`workspace_id`, the source's), as
    a turn: `{"status": None, "busy": True}` when the share does not allow it now."""
    if workspace_id is not None and shares.enter(workspace_id) is None:
        return {"status": None, "response": None, "busy": True}
    try:
        event = claim_held(ingest_event_id)
        executions = _run_claimed([event]) if event is not None else []
    finally:
        if workspace_id is not None:
            shares.leave(workspace_id)
    if not executions:
        return {"status": None, "response": None}
    return {"status": executions[0].status, "response": executions[0].response}


def ingest_events_execute_next(*, queued_for: int | None = None) -> list[Execution]:
    """Take a turn: run the fairest due work (claims.claim_next: a batch of one version
    of the workspace with the fewest claims running, within its share of this
    process's threads). Returns its executions; none when nothing due may run here.

    Turns keep coming while there is due work: one per workspace in a burst of
    accepted webhooks (unless one queued for it has not started; `queued_for` is the
    workspace whose work queued this one), one passed on at once when due work is left
    after this turn's claim, and one owed by the thread that next finishes when a turn
    had to leave work to a workspace's share.

    A turn queued for a workspace whose turn runs in this process waits for it a
    moment (shares.wait_turn), and one already waiting makes a second unneeded."""
    if queued_for is not None and not shares.wait_turn(queued_for):
        return []
    queue.turn_started(queued_for)
    turn = claim_next(shares, queued_for)
    if turn is None:
        return []
    try:
        if turn.more:  # to an idle thread now, not after this batch
            queue.turn(turn.workspace_id if queued_for is None else queued_for)
        # Slow runs end the turn at about a claim's length, as one batch would.
        budget = claim_timeout(turn.events[0].version.time_limit_ms) / 2
        executions, left = _run_version(turn.events, budget=budget)
        if left:
            release(left, turn.were)
            queue.turn(turn.workspace_id)
    finally:
        shares.leave(turn.workspace_id)
    if shares.owes_a_turn():
        queue.turn()
    return executions


def count_worker_threads_with(threads) -> None:
    """Tell the stages how many threads this process runs turns on (a callable
    returning an int, or None when the process has no thread pool)."""
    shares.count_threads_with(threads)
    deliver.count_worker_threads_with(threads)


def _execute(ids: list[int]) -> list[Execution]:
    claimed, lost = claim(ids)
    executions = [
        execution
        for event in lost
        for execution in attempts_record([Attempt(event, runtime.worker_lost(), event.claimed_at)])
    ]
    return executions + _run_claimed(claimed)


def _run_claimed(claimed: list[IngestEvent]) -> list[Execution]:
    executions = []
    for version_id in dict.fromkeys(event.version_id for event in claimed):
        executions += _run_version([e for e in claimed if e.version_id == version_id])[0]
    return executions


def _run_version(
    events: list[IngestEvent], *, budget: timedelta | None = None
) -> tuple[list[Execution], list[IngestEvent]]:
    """Run claimed events of one version in batches that each fit in a claim
    (batch_size), the claims of the events still waiting renewed before each, and
    record them together, or as soon as their output is large (RECORD_OUTPUTS). With
    a budget, no batch starts once the run has taken that long: returns the
    executions, and the events left unrun."""
    size = batch_size(events[0].version.time_limit_ms)
    started = timezone.now()
    executions, attempts, ran = [], [], 0
    while ran < len(events):
        if ran and budget is not None and timezone.now() - started >= budget:
            break
        hold(events[ran - len(attempts) :])
        attempts += _run(events[ran : ran + size])
        ran = min(ran + size, len(events))
        if _outputs(attempts) >= RECORD_OUTPUTS:
            executions += _record(attempts)
            attempts = []
    if attempts:
        executions += _record(attempts)
    return executions, events[ran:]


def _record(attempts: list[Attempt]) -> list[Execution]:
    # The record locks its events; a claim renewed first keeps the sweep away.
    hold([a.event for a in attempts])
    return attempts_record(attempts)


def _outputs(attempts: list[Attempt]) -> int:
    return sum(len(a.outcome.events) + len(a.outcome.objects) for a in attempts)


def _run(events: list[IngestEvent]) -> list[Attempt]:
    """Run a batch of events of one version; the attempts in their order."""
    started_at = timezone.now()
    outcomes = _outcomes(events)
    attempts = []
    for event in events:
        attempts.append(Attempt(event, outcomes[event.pk], started_at))
        # In a batch, executions run one after another.
        started_at += timedelta(milliseconds=outcomes[event.pk].duration_ms)
    return attempts


def _outcomes(events: list[IngestEvent]) -> dict[int, runner.Result]:
    outcomes: dict[int, runner.Result] = {}
    invocations = _Invocations()
    for event in events:
        try:
            invocations.add(event)
        except Exception as exc:
            outcomes[event.pk] = runtime.invocation_failure(event, exc)
    runnable = [e for e in events if e.pk not in outcomes]
    if not runnable:
        return outcomes
    try:
        results = runtime.execute(version=runnable[0].version, invocations=invocations.built)
    except Exception as exc:  # infrastructure: the runner broke, not the code
        logger.exception("ingest events %s could not be executed", [e.pk for e in runnable])
        results = [runtime.infrastructure_failure(exc)] * len(runnable)
    outcomes.update(zip([e.pk for e in runnable], results, strict=True))
    return outcomes


class _Invocations:
    """The runner's invocations of a batch, each source's settings read once."""

    def __init__(self) -> None:
        self.built: list[runner.Invocation] = []
        self._settings: dict[int, tuple[dict, tuple[str, ...], str]] = {}

    def add(self, event: IngestEvent) -> None:
        source = event.source
        if source.pk not in self._settings:
            # The secret values' names: the runner keeps their values out of its records.
            self._settings[source.pk] = (
                source_runtime_settings(source),
                tuple(source.secret_values),
                cache_scope(source),
            )
        settings, secrets, scope = self._settings[source.pk]
        request = runtime.request_of(event)
        self.built.append(
            runner.Invocation(
                request, settings, str(event.pk), secret_names=secrets, cache_scope=scope
            )
        )
