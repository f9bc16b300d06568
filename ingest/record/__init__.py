"""The record stage: what an attempt produced, kept in one transaction.

An Execution row per attempt; on success its events in the event store and its objects
in the object store; on failure a retry at its time or a dead letter. Once committed,
retries go to the queue stage, output to the deliver stage, and the live debugger
hears of it. Only attempts still under this worker's claim are recorded, so nothing is
recorded twice."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

import runner
from ingest import deliver, live, queue, sql
from ingest.models import Execution, IngestEvent
from ingest.record.retries import MAX_ATTEMPTS, backoff_seconds, is_retried, retry_after
from ingest.record.stores import UnstorableOutput, store_events, upsert_objects, without_nul

__all__ = [
    "MAX_ATTEMPTS",
    "Attempt",
    "attempts_record",
    "backoff_seconds",
    "is_retried",
    "RELAXED_COMMIT_CALL",
    "relaxed_commit",
]

logger = logging.getLogger(__name__)
Status = IngestEvent.Status


@dataclass
class Attempt:
    """One run of an ingest event: what the runner (or the platform) made of it."""

    event: IngestEvent
    outcome: runner.Result
    started_at: datetime
    status: str = ""
    retry_in: float = 0.0


def attempts_record(attempts: list[Attempt], *, alone: bool = False) -> list[Execution]:
    """Record attempts together; when one output the stores refuse (or a row that went
    away meanwhile) rolls the batch back, each is recorded on its own so only that one
    is affected."""
    try:
        return _record(attempts)
    except (UnstorableOutput, DataError, IntegrityError) as exc:
        if not alone and len(attempts) > 1:
            return [e for attempt in attempts for e in attempts_record([attempt], alone=True)]
        # Rolled back; record why instead, or the event would stay claimed and come
        # back as a lost worker.
        attempts[0].outcome = _unstorable(attempts[0].outcome, exc)
        return _record(attempts)


def _unstorable(outcome: runner.Result, exc: Exception) -> runner.Result:
    """A run whose output the stores refused: not retried (it would be refused again),
    its console logs kept for the function's author."""
    reason = (
        str(exc)
        if isinstance(exc, UnstorableOutput)
        else "it holds a value the database cannot keep (a NUL character, or a text too long)."
    )
    return runner.Result(
        logs=outcome.logs,
        fetches=outcome.fetches,
        duration_ms=outcome.duration_ms,
        error={
            "name": "OutputNotStored",
            "message": f"The function ran, but its output could not be stored: {reason}",
            "stack": "",
        },
    )


def _verdict(attempt: Attempt) -> str:
    """By the retry policy of the version the event ran (catalog.run_policy)."""
    event, error = attempt.event, attempt.outcome.error
    if error is None:
        return Execution.Status.SUCCEEDED
    if retry_after(error, event.attempts, event.version.retry_policy):
        return Execution.Status.RETRYING
    return Execution.Status.FAILED


@transaction.atomic
def _record(attempts: list[Attempt]) -> list[Execution]:
    for attempt in attempts:
        attempt.status = _verdict(attempt)
    attempts = _close(attempts)
    succeeded = [a for a in attempts if a.status == Execution.Status.SUCCEEDED]
    store_events([(a.event, a.outcome.events) for a in succeeded])
    upsert_objects([(a.event, item) for a in succeeded for item in a.outcome.objects])
    retrying = [a for a in attempts if a.status == Execution.Status.RETRYING]
    executions = [_execution(a) for a in attempts]
    sql.insert(Execution, executions)
    due = deliver.deliveries_add(
        [(a.event, bool(a.outcome.events), bool(a.outcome.objects)) for a in succeeded
         if a.outcome.events or a.outcome.objects]
    )  # fmt: skip
    # robust, and apart: a broker hiccup must not skip the rest (the sweeps catch up).
    transaction.on_commit(lambda: _queue_retries(retrying), robust=True)
    transaction.on_commit(lambda: deliver.destinations_due(due), robust=True)
    transaction.on_commit(lambda: live.publish_executions(executions), robust=True)
    return executions


def _close(attempts: list[Attempt]) -> list[Attempt]:
    """Finish the attempts' events (a retry scheduled, or done), locked until the record
    commits, those no longer claimed by this worker left alone; returns the attempts
    still claimed. An event is not if its claim expired and the sweep handed it to
    another worker (this run took longer than a claim lasts), or if it was deleted with
    its source meanwhile: its results are dropped, so no event is recorded twice.

    One statement, the transaction's relaxed commit set with it: every turn runs it."""
    if not attempts:
        return []
    now = timezone.now()
    for attempt in attempts:
        _close_event(attempt, now)
    events = [a.event for a in attempts]
    done = [e for e in events if e.status != Status.RETRYING]
    retrying = [e for e in events if e.status == Status.RETRYING]
    changes = [
        _case_by_id("status", events),
        *([_case_by_id("finished_at", done)] if done else []),
        *([_case_by_id("next_attempt_at", retrying)] if retrying else []),
    ]
    ids = [e.pk for e in events]
    claims = list({sql.value(IngestEvent, "claim", e.claim) for e in events})
    relaxed = f", {RELAXED_COMMIT_CALL}" if connection.vendor == "postgresql" else ""
    statement = (
        f"UPDATE ingest_ingestevent SET {', '.join(change for change, _ in changes)} "
        f"WHERE id IN ({sql.placeholders(ids)}) AND claim IN ({sql.placeholders(claims)}) "
        f"AND status = %s RETURNING id{relaxed}"
    )
    params = [p for _, values in changes for p in values] + [*ids, *claims, Status.RUNNING]
    mine = {row[0] for row in sql.rows(statement, params)}
    if len(mine) < len(ids):
        logger.warning("ingest events %s were taken by another worker", sorted(set(ids) - mine))
    return [a for a in attempts if a.event.pk in mine]


def _close_event(attempt: Attempt, now: datetime) -> None:
    """Set what the close writes of the attempt's event: done, or when its retry is due."""
    event = attempt.event
    if attempt.status == Execution.Status.RETRYING:
        attempt.retry_in = event.version.retry_policy.wait_s(event.attempts)
        event.status = Status.RETRYING
        event.next_attempt_at = now + timedelta(seconds=attempt.retry_in)
    else:
        event.status = (
            Status.SUCCEEDED if attempt.status == Execution.Status.SUCCEEDED else Status.FAILED
        )
        event.finished_at = now


def _case_by_id(column: str, events: list[IngestEvent]) -> tuple[str, list]:
    """`column = CASE id WHEN <id> THEN <its value> ... ELSE column END` for these
    events, and its parameters."""
    whens = " ".join(["WHEN %s THEN %s"] * len(events))
    values = [sql.value(IngestEvent, column, getattr(e, column)) for e in events]
    return (
        f"{column} = CASE id {whens} ELSE {column} END",
        [p for event, value in zip(events, values, strict=True) for p in (event.pk, value)],
    )


def _execution(attempt: Attempt) -> Execution:
    event, outcome = attempt.event, attempt.outcome
    succeeded = attempt.status == Execution.Status.SUCCEEDED
    return Execution(
        ingest_event=event,
        source_id=event.source_id,
        version=event.version,
        attempt=event.attempts,
        is_replay=event.replays > 0,
        started_at=attempt.started_at,
        duration_ms=outcome.duration_ms,
        status=attempt.status,
        logs=without_nul(_logs(event, outcome)),
        error=without_nul(outcome.error),
        fetches=without_nul(outcome.fetches),
        event_count=len(outcome.events) if succeeded else 0,
        object_count=len(outcome.objects) if succeeded else 0,
        response=_response(event, outcome),
    )


NOT_RESPONDING = (
    "onRequest returned a response, but this version does not respond to the sender: the "
    'sender got the usual answer before the function ran. Turn on "Responds to the '
    'sender" in Configure, then deploy, for the sender to get what the function returns.'
)


def _response(event: IngestEvent, outcome: runner.Result) -> dict | None:
    """The response the sender got, kept with the execution (of a responding version)."""
    if outcome.response is None or not event.version.responds:
        return None
    return without_nul(outcome.response)


def _logs(event: IngestEvent, outcome: runner.Result) -> list[dict]:
    """The console lines, and a warning when the function returned a response that no
    sender heard (the version does not respond)."""
    if outcome.response is None or event.version.responds:
        return outcome.logs
    return [*outcome.logs, {"level": "warn", "message": NOT_RESPONDING}]


def _queue_retries(retrying: list[Attempt]) -> None:
    for attempt in retrying:
        queue.retry(attempt.event.pk, in_s=attempt.retry_in)


def relaxed_commit() -> None:
    """Let PostgreSQL acknowledge this transaction's commit before it is on disk.

    Safe for the worker's own writes (a claim, an execution's results): if the
    database crashes and loses them, the event is still pending or claimed, and the
    sweep runs it again with the same message ids. The webhook's own row is never
    written this way: the sender's 2xx promises it is durable."""
    if connection.vendor == "postgresql":
        sql.execute(f"SELECT {RELAXED_COMMIT_CALL}", [])


# The same as a call of a statement of the transaction (PostgreSQL): a round trip fewer.
RELAXED_COMMIT_CALL = "set_config('synchronous_commit', 'off', true)"
