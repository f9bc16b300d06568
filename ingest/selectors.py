"""Reads of the ingest app: what a source received, ran, stored and failed."""

from django.db.models import QuerySet

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
