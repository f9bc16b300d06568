"""Executing an ingest event: claim it, run its function, record what happened, and
then store the output, schedule a retry or make it a dead letter."""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import DataError, connection, transaction
from django.db.models import F
from django.utils import timezone

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


def _claim(ingest_event_id: int) -> tuple[IngestEvent | None, bool]:
    """Take the event for this worker. Returns (event, lost): event is None when it is
    finished or taken; lost says the previous attempt's worker died mid-run."""
    now = timezone.now()
    claim = {"status": Status.RUNNING, "claimed_at": now, "attempts": F("attempts") + 1}
    events = IngestEvent.objects.filter(pk=ingest_event_id)
    # A duplicate task (redelivered, or queued again by the sweep) must not cut a
    # retry's backoff short: only a due event is taken.
    due = events.filter(
        status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=now + CLOCK_SKEW
    )
    lost = False
    with transaction.atomic():
        _relaxed_commit()
        if not due.update(**claim):
            stale = events.filter(status=Status.RUNNING, claimed_at__lt=now - claim_timeout())
            # The lost attempt was counted when it was claimed; this only records it.
            if not stale.update(status=Status.RUNNING, claimed_at=now):
                return None, False
            lost = True
    return IngestEvent.objects.select_related("source", "version").get(pk=ingest_event_id), lost


def ingest_event_execute(*, ingest_event_id: int) -> Execution | None:
    """Run one attempt of an ingest event. Idempotent: a finished or already running
    event is left alone and None is returned.

    An event whose worker died mid-run (killed, or the function crashed it) gets that
    attempt recorded as a WorkerLostError and follows the usual retry rules, so a
    function that kills its worker cannot do so forever."""
    event, lost = _claim(ingest_event_id)
    if event is None:
        return None
    if lost:
        return _record(event, runtime.worker_lost(), event.claimed_at)
    started_at = timezone.now()
    outcome = _run(event)
    try:
        return _record(event, outcome, started_at)
    except (UnstorableOutput, DataError) as exc:
        # The whole record was rolled back; record why instead, or the event would
        # stay claimed and come back as a lost worker.
        return _record(event, _unstorable(outcome, exc), started_at)


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


def _run(event: IngestEvent) -> runtime.Outcome:
    try:
        return runtime.execute(
            version=event.version,
            legacy=event.version.is_legacy,
            request=runtime.request_of(event),
            setting_values=source_runtime_settings(event.source),
            execution_id=str(event.pk),
        )
    except Exception as exc:  # infrastructure: the runner or the settings broke, not the code
        logger.exception("ingest event %s could not be executed", event.pk)
        return runtime.infrastructure_failure(exc)


@transaction.atomic
def _record(event: IngestEvent, outcome: runtime.Outcome, started_at) -> Execution:
    _relaxed_commit()
    retry_in = 0.0
    if outcome.error is None:
        status = Execution.Status.SUCCEEDED
        store_events(event, outcome.events)
        upsert_objects(event, outcome.objects)
        _finish(event, Status.SUCCEEDED)
    elif is_retried(outcome.error) and event.attempts < MAX_ATTEMPTS:
        status = Execution.Status.RETRYING
        retry_in = _schedule_retry(event)
    else:
        status = Execution.Status.FAILED
        _finish(event, Status.FAILED)
    execution = Execution.objects.create(
        ingest_event=event,
        source_id=event.source_id,
        version_id=event.version_id,
        attempt=event.attempts,
        is_replay=event.replays > 0,
        started_at=started_at,
        duration_ms=outcome.duration_ms,
        status=status,
        logs=without_nul(outcome.logs),
        error=without_nul(outcome.error),
        fetches=without_nul(outcome.fetches),
        event_count=len(outcome.events) if status == Execution.Status.SUCCEEDED else 0,
        object_count=len(outcome.objects) if status == Execution.Status.SUCCEEDED else 0,
    )
    transaction.on_commit(lambda: _after_commit(event, execution, retry_in), robust=True)
    return execution


def _finish(event: IngestEvent, status: str) -> None:
    event.status = status
    event.finished_at = timezone.now()
    event.save(update_fields=["status", "finished_at"])


def _schedule_retry(event: IngestEvent) -> float:
    delay = backoff_seconds(event.attempts)
    event.status = Status.RETRYING
    event.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    event.save(update_fields=["status", "next_attempt_at"])
    return delay


def _after_commit(event: IngestEvent, execution: Execution, retry_in: float) -> None:
    from ingest import tasks

    if execution.status == Execution.Status.RETRYING:
        tasks.execute.apply_async((event.pk,), countdown=retry_in)
    elif execution.status == Execution.Status.SUCCEEDED and _forwards(event, execution):
        tasks.forward.delay(event.pk)
    live.publish_execution(execution)


def _forwards(event: IngestEvent, execution: Execution) -> bool:
    produced = execution.event_count + execution.object_count
    return (
        bool(produced)
        and Forwarding.objects.filter(workspace_id=event.source.workspace_id, enabled=True).exists()
    )


def _relaxed_commit() -> None:
    """Let PostgreSQL acknowledge this transaction's commit before it is on disk.

    Safe for the worker's own writes (a claim, an execution's results): if the
    database crashes and loses them, the event is still pending or claimed, and the
    sweep runs it again with the same message ids. The webhook's own row is never
    written this way: the sender's 2xx promises it is durable."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
