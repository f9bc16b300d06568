"""The execute stage: claim ingest events, run each version's events through the
runner as one batch, and hand every attempt to the record stage.

One event's failure stays that event's: an event whose invocation cannot be built (its
request, its source's secrets) fails alone, and the runner isolates the executions of
a batch from one another."""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.utils import timezone

import runner
from catalog.services import source_runtime_settings
from ingest.execute import runtime
from ingest.execute.claims import batch_size, batches, claim, claim_timeout
from ingest.models import Execution, IngestEvent
from ingest.record import Attempt, attempts_record

__all__ = [
    "batch_size",
    "claim_timeout",
    "ingest_event_execute",
    "ingest_events_execute",
]

logger = logging.getLogger(__name__)


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


def _execute(ids: list[int]) -> list[Execution]:
    claimed, lost = claim(ids)
    executions = [
        execution
        for event in lost
        for execution in attempts_record([Attempt(event, runtime.worker_lost(), event.claimed_at)])
    ]
    for version_id in dict.fromkeys(event.version_id for event in claimed):
        executions += attempts_record(_run([e for e in claimed if e.version_id == version_id]))
    return executions


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
        self._settings: dict[int, tuple[dict, tuple[str, ...]]] = {}

    def add(self, event: IngestEvent) -> None:
        source = event.source
        if source.pk not in self._settings:
            # The secret values' names: the runner keeps their values out of its records.
            self._settings[source.pk] = (
                source_runtime_settings(source),
                tuple(source.secret_values),
            )
        settings, secrets = self._settings[source.pk]
        request = runtime.request_of(event)
        self.built.append(runner.Invocation(request, settings, str(event.pk), secret_names=secrets))
