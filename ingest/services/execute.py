"""Executing ingest events: claim them, run their function, record what happened, and
then store the output, schedule a retry or make it a dead letter.

Events queued together run together: the events of one version in one runner batch
(few V8 calls for many requests), recorded in one transaction."""

import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

import runner
from catalog.models import Source
from catalog.services import source_runtime_settings
from ingest import live, runtime
from ingest.models import Execution, Forwarding, IngestEvent
from ingest.services.store import UnstorableOutput, store_events, upsert_objects, without_nul

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Errors that would fail the same way again: the function's own verdict on the
# payload, or code that cannot load. Everything else is worth another attempt.
NOT_RETRIED = frozenset(
    {
        "ValidationError",
        "InvalidEventPayload",
        "EventNotSupported",
        "SyntaxError",
        "ReferenceError",
        "OutputNotStored",
    }
)
Status = IngestEvent.Status
# How much earlier than planned a retry's task may arrive and still be taken.
CLOCK_SKEW = timedelta(seconds=1)


def claim_timeout() -> timedelta:
    """How long a claim holds before a sweep may hand the event to another worker:
    longer than a run can take, so a live run is never executed twice at once."""
    return timedelta(milliseconds=settings.RUNNER_TIMEOUT_MS, seconds=settings.CLAIM_MARGIN_S)


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, scaled by 50–100 %."""
    delay = min(settings.RETRY_BACKOFF_CAP_S, settings.RETRY_BACKOFF_BASE_S * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


def is_retried(error: dict | None) -> bool:
    return error is not None and error.get("name") not in NOT_RETRIED


def batch_size() -> int:
    """How many events of one version run in one batch. Its executions run one after
    another, each taking at most about twice its time limit (its run, then the end of
    pending work): the last must end before its claim expires."""
    worst_s = 2 * settings.RUNNER_TIMEOUT_MS / 1000 + 0.1
    fits = int(claim_timeout().total_seconds() / worst_s)
    return max(1, min(settings.INGEST_BATCH_MAX, fits))


@dataclass
class _Attempt:
    event: IngestEvent
    outcome: runtime.Outcome
    started_at: datetime
    status: str = ""
    retry_in: float = 0.0


def ingest_events_execute(*, ingest_event_ids: Sequence[int]) -> list[Execution]:
    """Run one attempt of each ingest event given. Idempotent: finished events and
    events another worker is running are left alone (no execution is returned for them).

    An event whose worker died mid-run (killed, or the function crashed it) gets that
    attempt recorded as a WorkerLostError and follows the usual retry rules, so a
    function that kills its worker cannot do so forever."""
    executions = []
    for batch in _batches(ingest_event_ids):
        executions += _execute(batch)
    return executions


def ingest_event_execute(*, ingest_event_id: int) -> Execution | None:
    """Run one attempt of one ingest event (see ingest_events_execute)."""
    executions = ingest_events_execute(ingest_event_ids=[ingest_event_id])
    return executions[0] if executions else None


def _batches(ids: Sequence[int]) -> list[list[int]]:
    """The ids in batches of at most batch_size(), grouped by version when they need
    splitting (a batch of several versions runs a runner batch per version)."""
    size = batch_size()
    if len(ids) <= size:
        return [list(ids)]
    by_version: dict[int, list[int]] = {}
    for pk, version_id in IngestEvent.objects.filter(pk__in=ids).values_list("pk", "version_id"):
        by_version.setdefault(version_id, []).append(pk)
    return [
        group[start : start + size]
        for group in by_version.values()
        for start in range(0, len(group), size)
    ]


def _execute(ids: list[int]) -> list[Execution]:
    claimed, lost = _claim(ids)
    executions = [
        execution
        for event in lost
        for execution in _record_alone(_Attempt(event, runtime.worker_lost(), event.claimed_at))
    ]
    for version_id in dict.fromkeys(event.version_id for event in claimed):
        executions += _record_batch(_run([e for e in claimed if e.version_id == version_id]))
    return executions


def _claim(ids: list[int]) -> tuple[list[IngestEvent], list[IngestEvent]]:
    """Take the events for this worker. Returns (claimed, lost): the events to run, and
    those whose previous attempt's worker died mid-run. Finished events and events
    another worker holds are in neither."""
    now = timezone.now()
    due_claim, lost_claim = uuid.uuid4(), uuid.uuid4()
    events = IngestEvent.objects.filter(pk__in=ids)
    with transaction.atomic():
        _relaxed_commit()
        # A duplicate task (redelivered, or queued again by the sweep) must not cut a
        # retry's backoff short: only a due event is taken.
        taken = events.filter(
            status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=now + CLOCK_SKEW
        ).update(status=Status.RUNNING, claimed_at=now, attempts=F("attempts") + 1, claim=due_claim)
        if taken < len(ids):
            # The lost attempt was counted when it was claimed; this only records it.
            events.filter(status=Status.RUNNING, claimed_at__lt=now - claim_timeout()).update(
                claimed_at=now, claim=lost_claim
            )
    mine = list(events.filter(claim__in=[due_claim, lost_claim]).select_related("version"))
    _attach_sources(mine)
    return [e for e in mine if e.claim == due_claim], [e for e in mine if e.claim == lost_claim]


def _attach_sources(events: list[IngestEvent]) -> None:
    """One query per source, however many events. Secrets are decrypted when the run
    reads them, so a value that cannot be decrypted fails that run (retried as an
    error of ours), not the claim."""
    sources = Source.objects.defer("secret_values").in_bulk({e.source_id for e in events})
    for event in events:
        event.source = sources[event.source_id]


def _run(events: list[IngestEvent]) -> list[_Attempt]:
    """Run a batch of events of one version; the attempts in their order."""
    started_at = timezone.now()
    try:
        settings_of = {e.source_id: source_runtime_settings(e.source) for e in events}
        invocations = [
            runner.Invocation(runtime.request_of(e), settings_of[e.source_id], str(e.pk))
            for e in events
        ]
        outcomes = runtime.execute(version=events[0].version, invocations=invocations)
    except Exception as exc:  # infrastructure: the runner or the settings broke, not the code
        logger.exception("ingest events %s could not be executed", [e.pk for e in events])
        outcomes = [runtime.infrastructure_failure(exc)] * len(events)
    attempts = []
    for event, outcome in zip(events, outcomes, strict=True):
        attempts.append(_Attempt(event, outcome, started_at))
        # In a batch, executions run one after another.
        started_at += timedelta(milliseconds=outcome.duration_ms)
    return attempts


def _record_batch(attempts: list[_Attempt]) -> list[Execution]:
    try:
        return _record(attempts)
    except (UnstorableOutput, DataError, IntegrityError):
        # One output the stores refused (or a row that went away meanwhile) rolled the
        # whole batch back: record each attempt on its own, so only that one is affected.
        return [execution for a in attempts for execution in _record_alone(a)]


def _record_alone(attempt: _Attempt) -> list[Execution]:
    try:
        return _record([attempt])
    except (UnstorableOutput, DataError, IntegrityError) as exc:
        # Rolled back; record why instead, or the event would stay claimed and come
        # back as a lost worker.
        attempt.outcome = _unstorable(attempt.outcome, exc)
        return _record([attempt])


def _unstorable(outcome: runtime.Outcome, exc: Exception) -> runtime.Outcome:
    """A run whose output the stores refused: not retried (it would be refused again),
    its console logs kept for the function's author."""
    reason = (
        str(exc)
        if isinstance(exc, UnstorableOutput)
        else "it holds a value the database cannot keep (a NUL character, or a text too long)."
    )
    return runtime.Outcome(
        logs=outcome.logs,
        fetches=outcome.fetches,
        duration_ms=outcome.duration_ms,
        error={
            "name": "OutputNotStored",
            "message": f"The function ran, but its output could not be stored: {reason}",
            "stack": "",
        },
    )


def _verdict(attempt: _Attempt) -> str:
    if attempt.outcome.error is None:
        return Execution.Status.SUCCEEDED
    if is_retried(attempt.outcome.error) and attempt.event.attempts < MAX_ATTEMPTS:
        return Execution.Status.RETRYING
    return Execution.Status.FAILED


@transaction.atomic
def _record(attempts: list[_Attempt]) -> list[Execution]:
    """Record the attempts still under this worker's claim (the others are dropped)."""
    _relaxed_commit()
    attempts = _still_claimed(attempts)
    for attempt in attempts:
        attempt.status = _verdict(attempt)
    succeeded = [a for a in attempts if a.status == Execution.Status.SUCCEEDED]
    store_events([(a.event, a.outcome.events) for a in succeeded])
    upsert_objects([(a.event, item) for a in succeeded for item in a.outcome.objects])
    _finish([a.event for a in succeeded], Status.SUCCEEDED)
    _finish([a.event for a in attempts if a.status == Execution.Status.FAILED], Status.FAILED)
    for attempt in attempts:
        if attempt.status == Execution.Status.RETRYING:
            attempt.retry_in = _schedule_retry(attempt.event)
    executions = Execution.objects.bulk_create([_execution(a) for a in attempts])
    # robust, and apart: a broker hiccup must not skip the rest (the sweeps catch up).
    transaction.on_commit(lambda: _queue_retries(attempts), robust=True)
    transaction.on_commit(lambda: _queue_forwards(attempts), robust=True)
    transaction.on_commit(lambda: live.publish_executions(executions), robust=True)
    return executions


def _still_claimed(attempts: list[_Attempt]) -> list[_Attempt]:
    """The attempts whose events are still claimed by this worker, locked until the
    record commits. An event is not if its claim expired and the sweep handed it to
    another worker (this run took longer than a claim lasts), or if it was deleted with
    its source meanwhile: its results are dropped, so no event is recorded twice."""
    ids = [a.event.pk for a in attempts]
    claims = {a.event.claim for a in attempts}
    mine = set(
        IngestEvent.objects.select_for_update()
        .filter(pk__in=ids, claim__in=claims, status=Status.RUNNING)
        .values_list("pk", flat=True)
    )
    if len(mine) < len(ids):
        logger.warning("ingest events %s were taken by another worker", sorted(set(ids) - mine))
    return [a for a in attempts if a.event.pk in mine]


def _execution(attempt: _Attempt) -> Execution:
    event, outcome = attempt.event, attempt.outcome
    succeeded = attempt.status == Execution.Status.SUCCEEDED
    return Execution(
        ingest_event=event,
        source_id=event.source_id,
        version_id=event.version_id,
        attempt=event.attempts,
        is_replay=event.replays > 0,
        started_at=attempt.started_at,
        duration_ms=outcome.duration_ms,
        status=attempt.status,
        logs=without_nul(outcome.logs),
        error=without_nul(outcome.error),
        fetches=without_nul(outcome.fetches),
        event_count=len(outcome.events) if succeeded else 0,
        object_count=len(outcome.objects) if succeeded else 0,
    )


def _finish(events: list[IngestEvent], status: str) -> None:
    if not events:
        return
    now = timezone.now()
    IngestEvent.objects.filter(pk__in=[e.pk for e in events]).update(status=status, finished_at=now)
    for event in events:
        event.status, event.finished_at = status, now


def _schedule_retry(event: IngestEvent) -> float:
    delay = backoff_seconds(event.attempts)
    event.status = Status.RETRYING
    event.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    event.save(update_fields=["status", "next_attempt_at"])
    return delay


def _queue_retries(attempts: list[_Attempt]) -> None:
    from ingest import tasks

    for attempt in attempts:
        if attempt.status == Execution.Status.RETRYING:
            tasks.execute.apply_async((attempt.event.pk,), countdown=attempt.retry_in)


def _queue_forwards(attempts: list[_Attempt]) -> None:
    from ingest import tasks

    for ingest_event_id in _to_forward(attempts):
        tasks.forward.delay(ingest_event_id)


def _to_forward(attempts: list[_Attempt]) -> list[int]:
    """The ingest events whose output goes downstream: they produced something, and
    their workspace forwards."""
    produced = [
        a.event
        for a in attempts
        if a.status == Execution.Status.SUCCEEDED and (a.outcome.events or a.outcome.objects)
    ]
    if not produced:
        return []
    forwarding = set(
        Forwarding.objects.filter(
            workspace_id__in={event.source.workspace_id for event in produced}, enabled=True
        ).values_list("workspace_id", flat=True)
    )
    return [event.pk for event in produced if event.source.workspace_id in forwarding]


def _relaxed_commit() -> None:
    """Let PostgreSQL acknowledge this transaction's commit before it is on disk.

    Safe for the worker's own writes (a claim, an execution's results): if the
    database crashes and loses them, the event is still pending or claimed, and the
    sweep runs it again with the same message ids. The webhook's own row is never
    written this way: the sender's 2xx promises it is durable."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
