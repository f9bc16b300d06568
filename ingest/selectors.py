"""Reads of the ingest app: what a source received, ran, stored and failed."""

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from ingest.models import Execution, IngestEvent, StoredEvent, WarehouseObject

MAX_LOG_LIMIT = 100


def executions_of(source, *, status: str | None = None) -> QuerySet[Execution]:
    executions = Execution.objects.filter(source=source).order_by("-started_at", "-pk")
    return executions.filter(status=status) if status else executions


def events_of(source, *, type: str | None = None) -> QuerySet[StoredEvent]:
    events = StoredEvent.objects.filter(source=source).order_by("-received_at", "-pk")
    return events.filter(type=type) if type else events


def objects_of(source, *, collection: str | None = None) -> QuerySet[WarehouseObject]:
    """Objects of the workspace that this source has written."""
    objects = WarehouseObject.objects.filter(
        workspace_id=source.workspace_id, changes__source=source
    ).distinct()
    if collection:
        objects = objects.filter(collection=collection)
    return objects.order_by("-updated_at", "-pk")


def dead_letters_of(source) -> QuerySet[IngestEvent]:
    return (
        IngestEvent.objects.filter(source=source, status=IngestEvent.Status.FAILED)
        .prefetch_related("executions")
        .order_by("-received_at", "-pk")
    )


def execution_of(source, execution_id: int) -> Execution | None:
    """One execution of this source (None for another source's, even of the workspace)."""
    return Execution.objects.filter(source=source, pk=execution_id).first()


def hourly_execution_counts(source, *, hours: int = 24) -> list[dict]:
    """Executions and errors per hour over the last `hours` (the current one included),
    oldest first, empty hours included: {"hour": ISO-8601, "total", "errors"}."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    counted = (
        Execution.objects.filter(source=source, started_at__gte=start)
        .order_by()
        .annotate(hour=TruncHour("started_at"))
        .values("hour")
        .annotate(total=Count("pk"), errors=Count("pk", filter=~Q(status="succeeded")))
    )
    by_hour = {row["hour"]: row for row in counted}
    rows = []
    for n in range(hours):
        hour = start + timedelta(hours=n)
        row = by_hour.get(hour, {})
        rows.append(
            {"hour": hour.isoformat(), "total": row.get("total", 0), "errors": row.get("errors", 0)}
        )
    return rows
