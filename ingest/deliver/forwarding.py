"""Forwarding a workspace's events and objects to a Segment-compatible endpoint:
the HTTP Tracking API (`POST /v1/batch`) and the Object API (`POST /v1/set`), both
with the write key as basic-auth user."""

from collections import defaultdict

import httpx
from django.utils import timezone

from ingest.models import Delivery, Forwarding, IngestEvent, ObjectChange, StoredEvent

MAX_DELIVERY_ATTEMPTS = 5


class TransportError(Exception):
    """A failed delivery. `permanent` ones (4xx other than 429) are not retried."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent


class Transport:
    """The one place that talks HTTP to the downstream endpoint; tests mock it here."""

    timeout = httpx.Timeout(10.0)

    def __init__(self, forwarding: Forwarding) -> None:
        self.base = forwarding.endpoint.rstrip("/")
        self.auth = (forwarding.write_key, "")

    def post(self, path: str, payload: dict) -> int:
        try:
            response = httpx.post(
                self.base + path, json=payload, auth=self.auth, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            permanent = response.status_code < 500 and response.status_code != 429
            raise TransportError(
                f"The endpoint answered HTTP {response.status_code}.",
                status=response.status_code,
                permanent=permanent,
            )
        return response.status_code


def ingest_event_forward(*, ingest_event_id: int, attempt: int = 1) -> str:
    """Deliver what one ingest event produced. Returns "skipped" (the workspace does
    not forward), "delivered", "retry" (a temporary failure) or "failed"."""
    event = IngestEvent.objects.select_related("source").get(pk=ingest_event_id)
    forwarding = Forwarding.objects.filter(
        workspace_id=event.source.workspace_id, enabled=True
    ).first()
    if forwarding is None:
        return "skipped"
    transport = Transport(forwarding)
    delivery = Delivery(ingest_event=event, attempt=attempt)
    try:
        delivery.event_count = _send_events(event, transport)
        delivery.object_count = _send_objects(event, transport)
    except TransportError as exc:
        final = exc.permanent or attempt >= MAX_DELIVERY_ATTEMPTS
        delivery.status = Delivery.Status.FAILED if final else Delivery.Status.RETRYING
        delivery.http_status, delivery.error = exc.status, str(exc)
        delivery.save()
        return "failed" if final else "retry"
    delivery.status = Delivery.Status.DELIVERED
    delivery.save()
    return "delivered"


def _send_events(event: IngestEvent, transport: Transport) -> int:
    # Only events not sent yet: a retry after a partial success sends the rest.
    unsent = list(StoredEvent.objects.filter(ingest_event=event, sent_at__isnull=True))
    if unsent:
        transport.post("/v1/batch", {"batch": [stored.message for stored in unsent]})
        StoredEvent.objects.filter(pk__in=[s.pk for s in unsent]).update(sent_at=timezone.now())
    return len(unsent)


def _send_objects(event: IngestEvent, transport: Transport) -> int:
    by_collection: dict[str, list[dict]] = defaultdict(list)
    changes = ObjectChange.objects.filter(ingest_event=event).select_related("object")
    for change in changes:
        by_collection[change.object.collection].append(
            {"id": change.object.object_id, "properties": change.properties}
        )
    for collection, objects in by_collection.items():
        # Setting an object twice is harmless, so a retry may resend them all.
        transport.post("/v1/set", {"collection": collection, "objects": objects})
    return sum(len(objects) for objects in by_collection.values())
