"""Reads of the ingest app: what a source received, ran, stored and failed."""

from datetime import timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Length, TruncHour
from django.utils import timezone

from ingest.models import (
    Delivery,
    Destination,
    Execution,
    IngestEvent,
    ObjectChange,
    Routing,
    StoredEvent,
    WarehouseObject,
)

MAX_LOG_LIMIT = 100


def executions_of(source, *, status: str | None = None) -> QuerySet[Execution]:
    """Newest first, each with its version, its ingest event's request (the body left
    out, its size as `body_size`) and that event's deliveries: what a debugger row shows,
    in a fixed number of queries."""
    executions = (
        Execution.objects.filter(source=source)
        .select_related("version", "ingest_event")
        .defer("ingest_event__raw_body")
        .annotate(body_size=Length("ingest_event__raw_body"))
        .prefetch_related(
            Prefetch(
                "ingest_event__deliveries",
                queryset=Delivery.objects.select_related("destination").order_by(
                    "destination__name", "pk"
                ),
            )
        )
        .order_by("-started_at", "-pk")
    )
    return executions.filter(status=status) if status else executions


def events_of(source, *, type: str | None = None) -> QuerySet[StoredEvent]:
    """Newest first, each with the request it came from (its ingest event, the body left
    out, its size as `body_size`) and the execution that emitted it (`execution_id`,
    `version_number`: the version that ran, which a replay may have changed)."""
    emitted_by = Execution.objects.filter(
        ingest_event=OuterRef("ingest_event"), status=Execution.Status.SUCCEEDED
    ).order_by("-started_at", "-pk")
    events = (
        StoredEvent.objects.filter(source=source)
        .select_related("ingest_event")
        .defer("ingest_event__raw_body")
        .annotate(
            body_size=Length("ingest_event__raw_body"),
            execution_id=Subquery(emitted_by.values("pk")[:1]),
            version_number=Subquery(emitted_by.values("version__number")[:1]),
        )
        .order_by("-received_at", "-pk")
    )
    return events.filter(type=type) if type else events


def objects_of(
    source, *, collection: str | None = None, id: str | None = None, search: str | None = None
) -> QuerySet[WarehouseObject]:
    """Objects of the workspace that this source has written, last changed first: of
    one collection, with one id, or whose id contains `search`."""
    written = ObjectChange.objects.filter(source=source).values("object_id")
    objects = WarehouseObject.objects.filter(workspace_id=source.workspace_id, pk__in=written)
    if collection:
        objects = objects.filter(collection=collection)
    if id:
        objects = objects.filter(object_id=id)
    if search:
        objects = objects.filter(object_id__contains=search)
    return objects.annotate(change_count=Count("changes")).order_by("-updated_at", "-pk")


def object_of(source, *, collection: str, id: str) -> WarehouseObject | None:
    """One object this source has written (None for one it never wrote, or another
    workspace's)."""
    return objects_of(source, collection=collection, id=id).first()


def object_changes(obj: WarehouseObject) -> QuerySet[ObjectChange]:
    """The history of an object, newest first, with the source of each change."""
    return obj.changes.select_related("source").order_by("-changed_at", "-pk")


def dead_letters_of(source) -> QuerySet[IngestEvent]:
    return (
        IngestEvent.objects.filter(source=source, status=IngestEvent.Status.FAILED)
        .select_related("version")
        .prefetch_related("executions")
        .order_by("-received_at", "-pk")
    )


def execution_of(source, execution_id: int) -> Execution | None:
    """One execution of this source (None for another source's, even of the workspace),
    as executions_of gives them, and with its request's body."""
    return executions_of(source).defer(None).filter(pk=execution_id).first()


# The events an execution's details list; its event_count says how many it emitted.
EMITTED_SHOWN = 100


def events_emitted(execution: Execution) -> list[StoredEvent]:
    """The stored events of a succeeded execution (a failed one emitted nothing), in
    the order they were stored; at most EMITTED_SHOWN."""
    if execution.status != Execution.Status.SUCCEEDED:
        return []
    stored = StoredEvent.objects.filter(
        source_id=execution.source_id, ingest_event_id=execution.ingest_event_id
    )
    return list(stored.order_by("pk")[:EMITTED_SHOWN])


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
            last_delivered=Max("delivered_at", filter=Q(status=Status.DELIVERED)),
        )
    )  # fmt: skip
    stats = {
        d.pk: {"delivered": 0, "retrying": 0, "failed": 0, "lag_s": None, "last_error": None}
        for d in destinations
    }
    last_delivered = {}
    for row in rows:
        lag_s = row["lag"].total_seconds() if row["lag"] is not None else None
        stats[row["destination_id"]].update(
            delivered=row["delivered"], retrying=row["retrying"], failed=row["failed"],
            lag_s=None if lag_s is None else round(lag_s, 3),
        )  # fmt: skip
        last_delivered[row["destination_id"]] = row["last_delivered"]
    for destination_id, error, at in _last_errors(recent):
        # A delivery taken after the failed attempt ran: the destination works again.
        since = last_delivered.get(destination_id)
        if since is None or at > since:
            stats[destination_id]["last_error"] = {"message": error, "at": at.isoformat()}
    return stats


def _last_errors(recent: QuerySet[Delivery]):
    """Per destination, its newest error and when the attempt that got it ran."""
    failing = (
        recent.exclude(error="")
        .annotate(attempted_at=Coalesce("claimed_at", "next_attempt_at"))
        .order_by("destination_id", "-attempted_at", "-pk")
    )
    seen = set()
    rows = failing.values_list("destination_id", "error", "attempted_at")[:1000]
    for destination_id, error, at in rows:
        if destination_id not in seen:
            seen.add(destination_id)
            yield destination_id, error, at
