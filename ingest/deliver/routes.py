"""Which destinations take a source's output, and the deliveries that follow from it.

A source without a Routing sends to every enabled destination of its workspace; one
with a Routing to the enabled destinations it chose. A destination that takes only
events (or only objects) gets no delivery for output without them."""

from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from ingest import sql
from ingest.models import Delivery, Destination, IngestEvent, Routing


def destinations_of(sources: Iterable) -> dict[int, list[Destination]]:
    """The enabled destinations of each source (by id): one query when their
    workspaces have none, three otherwise."""
    sources = list(sources)
    if not sources:
        return {}
    enabled = defaultdict(list)
    workspaces = list({s.workspace_id for s in sources})
    # By hand: every record of output asks, and most workspaces have none.
    statement = (
        f"SELECT {sql.columns(Destination)} FROM ingest_destination WHERE enabled = %s "
        f"AND workspace_id IN ({sql.placeholders(workspaces)}) ORDER BY name, id"
    )
    for destination in sql.instances(Destination, statement, [True, *workspaces]):
        enabled[destination.workspace_id].append(destination)
    if not enabled:
        return {s.pk: [] for s in sources}
    chosen = defaultdict(set)
    for source_id, destination_id in Routing.destinations.through.objects.filter(
        routing__source__in=sources
    ).values_list("routing__source_id", "destination_id"):
        chosen[source_id].add(destination_id)
    routed = set(Routing.objects.filter(source__in=sources).values_list("source_id", flat=True))
    return {
        s.pk: [d for d in enabled[s.workspace_id] if s.pk not in routed or d.pk in chosen[s.pk]]
        for s in sources
    }


def deliveries_add(produced: list[tuple[IngestEvent, bool, bool]]) -> set[int]:
    """Create the deliveries of what these ingest events produced, each with whether
    it holds events and objects; returns the destinations that have new work.

    Part of the record's transaction, so output is never stored without its
    deliveries. A replayed event's deliveries are due again (only output the
    destination has not taken is sent: ingest.models.Delivery)."""
    if not produced:
        return set()
    routes = destinations_of({event.source for event, _, _ in produced})
    now = timezone.now()
    rows = [
        Delivery(ingest_event=event, destination=destination, next_attempt_at=now)
        for event, events, objects in produced
        for destination in routes[event.source_id]
        if destination.takes(events=events, objects=objects)
    ]
    if rows:
        Delivery.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["ingest_event", "destination"],
            # A send in flight for the old output loses its claim: it cannot mark
            # the new output delivered.
            update_fields=["status", "next_attempt_at", "claim"],
        )
    return {row.destination_id for row in rows}
