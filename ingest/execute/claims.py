"""Claims: which worker runs which ingest events, and for how long.

One conditional UPDATE takes the due events and marks them with a claim token of this
worker, so one query tells it which it got: a finished event, or one another worker
holds, is left alone, and a duplicate task does nothing."""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Source
from ingest.models import IngestEvent
from ingest.record import relaxed_commit

Status = IngestEvent.Status
# How much earlier than planned a retry's task may arrive and still be taken.
CLOCK_SKEW = timedelta(seconds=1)


def claim_timeout() -> timedelta:
    """How long a claim holds before a sweep may hand the event to another worker:
    longer than a run can take, so a live run is never executed twice at once."""
    limits = settings.RUNNER_LIMITS
    return timedelta(milliseconds=limits.timeout_ms, seconds=settings.CLAIM_MARGIN_S)


def batch_size() -> int:
    """How many events of one version run in one batch. Its executions run one after
    another, each taking at most runner.Limits.worst_execution_s: the last must end
    before its claim expires."""
    fits = int(claim_timeout().total_seconds() / settings.RUNNER_LIMITS.worst_execution_s)
    return max(1, min(settings.INGEST_BATCH_MAX, fits))


def batches(ids: Sequence[int]) -> list[list[int]]:
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


def claim(ids: list[int]) -> tuple[list[IngestEvent], list[IngestEvent]]:
    """Take the events for this worker. Returns (claimed, lost): the events to run, and
    those whose previous attempt's worker died mid-run. Finished events and events
    another worker holds are in neither."""
    now = timezone.now()
    due_claim, lost_claim = uuid.uuid4(), uuid.uuid4()
    events = IngestEvent.objects.filter(pk__in=ids)
    with transaction.atomic():
        relaxed_commit()
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
