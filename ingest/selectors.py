"""Reads of the ingest app: what a source received, ran, stored and failed."""

from datetime import timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from ingest.models import (
    Delivery,
    Destination,
    Execution,
    IngestEvent,
    Routing,
    StoredEvent,
    WarehouseObject,
)

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
        .select_related("version")
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


# --- destinations ----------------------------------------------------------------------


def destination_list(workspace) -> QuerySet[Destination]:
    return Destination.objects.filter(workspace=workspace).order_by("name", "pk")


def destination_of(workspace, destination_id) -> Destination | None:
    """A destination of this workspace (None for another workspace's)."""
    return destination_list(workspace).filter(pk=destination_id).first()


def delivery_dead_letters_of(destination) -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(destination=destination, status=Delivery.Status.FAILED)
        .select_related("ingest_event__source")
        .order_by("-next_attempt_at", "-pk")
    )


def routing_of(source) -> list[int] | None:
    """The destinations a source chose, or None when it sends to every enabled one."""
    routing = Routing.objects.filter(source=source).prefetch_related("destinations").first()
    return None if routing is None else sorted(d.pk for d in routing.destinations.all())


def delivery_stats(destinations, *, source=None, hours: int = 24) -> dict[int, dict]:
    """Per destination, over the last `hours` (of one source, if given): deliveries
    delivered, retrying, failed; the mean lag of those delivered (from the webhook's
    arrival, in seconds); the last error. Two queries, however many destinations."""
    since = timezone.now() - timedelta(hours=hours)
    recent = Delivery.objects.filter(destination__in=destinations, created_at__gte=since)
    if source is not None:
        recent = recent.filter(ingest_event__source=source)
    lag = ExpressionWrapper(
        F("delivered_at") - F("ingest_event__received_at"), output_field=DurationField()
    )
    Status = Delivery.Status
    rows = (
        recent.order_by()
        .values("destination_id")
        .annotate(
            delivered=Count("pk", filter=Q(status=Status.DELIVERED)),
            retrying=Count("pk", filter=Q(status__in=[Status.RETRYING, Status.PENDING,
                                                       Status.SENDING])),
            failed=Count("pk", filter=Q(status=Status.FAILED)),
            lag=Avg(lag, filter=Q(status=Status.DELIVERED)),
        )
    )  # fmt: skip
    stats = {
        d.pk: {"delivered": 0, "retrying": 0, "failed": 0, "lag_s": None, "last_error": None}
        for d in destinations
    }
    for row in rows:
        lag_s = row["lag"].total_seconds() if row["lag"] is not None else None
        stats[row["destination_id"]].update(
            delivered=row["delivered"], retrying=row["retrying"], failed=row["failed"],
            lag_s=None if lag_s is None else round(lag_s, 3),
        )  # fmt: skip
    for destination_id, error, at in _last_errors(recent):
        stats[destination_id]["last_error"] = {"message": error, "at": at.isoformat()}
    return stats


def _last_errors(recent: QuerySet[Delivery]):
    failing = recent.exclude(error="").order_by("destination_id", "-next_attempt_at", "-pk")
    seen = set()
    for destination_id, error, at in failing.values_list(
        "destination_id", "error", "next_attempt_at"
    )[:1000]:
        if destination_id not in seen:
            seen.add(destination_id)
            yield destination_id, error, at
