"""Pushes to the live source debugger: one Channels group per source."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache

from catalog.masking import mask_headers, mask_query, shorten_tokens
from ingest.models import Execution
from runner import body_text

logger = logging.getLogger(__name__)


def source_group(source_id: int) -> str:
    return f"source-{source_id}"


# Publishing costs a worker a round trip to the channel layer for every execution, so
# debuggers count themselves in the shared cache and workers publish only when one
# listens. A count left high by a crashed server only costs needless publishes.
def _listeners_key(source_id: int) -> str:
    return f"live-listeners:{source_id}"


def listener_joined(source_id: int) -> None:
    cache.add(_listeners_key(source_id), 0, timeout=None)
    cache.incr(_listeners_key(source_id))


def listener_left(source_id: int) -> None:
    try:
        cache.decr(_listeners_key(source_id))
    except ValueError:  # the count was evicted meanwhile
        pass


def has_listeners(source_id: int) -> bool:
    return (cache.get(_listeners_key(source_id)) or 0) > 0


# The debugger shows the requests a source got to every member who reads its logs, live
# and on screens others see: no credential in them is ever shown there, to any role
# (owners read them whole in dead letters and captures, where they replay or verify).
HIDDEN = "•••• (hidden: the debugger never shows credentials)"


def request_shown(event, *, size: int, with_body: bool = False) -> dict:
    """An ingest event's request as the debugger shows it: method, path (the webhook
    token shortened), query parameters and headers (credentials hidden), content type,
    body size in bytes, and with_body its body as text."""
    headers = event.headers or {}
    shown = {
        "method": event.method,
        "path": shorten_tokens(event.path),
        "query": mask_query(event.query_string, HIDDEN),
        "headers": mask_headers(headers, HIDDEN),
        "content_type": next((v for k, v in headers.items() if k.lower() == "content-type"), ""),
        "size": size,
    }
    if with_body:
        shown["body"] = body_text(bytes(event.raw_body or b""))
    return shown


def delivery_summary(delivery, destination) -> dict:
    """One delivery of an ingest event's output, as the debugger marks its execution."""
    return {
        "id": delivery.pk,
        "ingest_event": delivery.ingest_event_id,
        "destination": {"id": destination.pk, "name": destination.name},
        "status": delivery.status,
        "error": delivery.error.split("\n", 1)[0] if delivery.error else None,
    }


def _cached(execution, relation: str):
    """A related row the execution already holds (a published one may hold none)."""
    descriptor = getattr(Execution, relation)
    return getattr(execution, relation) if descriptor.is_cached(execution) else None


def execution_summary(execution) -> dict:
    error = execution.error or {}
    version = _cached(execution, "version")
    event = _cached(execution, "ingest_event")
    return {
        "id": execution.pk,
        "ingest_event": execution.ingest_event_id,
        "version": version.number if version else None,
        "request": request_shown(event, size=len(event.raw_body or b"")) if event else None,
        "attempt": execution.attempt,
        "status": execution.status,
        "started_at": execution.started_at.isoformat(),
        "duration_ms": round(execution.duration_ms, 2),
        "event_count": execution.event_count,
        "object_count": execution.object_count,
        "error": f"{error.get('name')}: {error.get('message')}" if error else None,
        # A warning (a returned value the sender never got, a console.warn) is worth a
        # look even when the execution succeeded: the row says so before it is opened.
        "warnings": sum(1 for log in execution.logs or [] if log.get("level") == "warn"),
    }


def publish_executions(executions) -> None:
    """Best effort: a debugger that misses a message loses nothing stored. Asks once
    per source whether a debugger listens."""
    layer = get_channel_layer()
    if layer is None:
        return
    listened = {source for source in {e.source_id for e in executions} if has_listeners(source)}
    for execution in executions:
        if execution.source_id in listened:
            _publish(layer, execution)


def _publish(layer, execution) -> None:
    try:
        async_to_sync(layer.group_send)(
            source_group(execution.source_id),
            {"type": "execution.finished", "execution": execution_summary(execution)},
        )
    except Exception:
        logger.warning("could not publish execution %s to the live debugger", execution.pk)


def publish_deliveries(destination, deliveries) -> None:
    """Each delivery's outcome, to the debugger of its source (best effort, as above):
    the debugger marks the executions of those ingest events."""
    layer = get_channel_layer()
    if layer is None:
        return
    for source_id in {d.ingest_event.source_id for d in deliveries}:
        if not has_listeners(source_id):
            continue
        for delivery in (d for d in deliveries if d.ingest_event.source_id == source_id):
            summary = delivery_summary(delivery, destination)
            try:
                async_to_sync(layer.group_send)(
                    source_group(source_id), {"type": "delivery.settled", "delivery": summary}
                )
            except Exception:
                logger.warning("could not publish delivery %s to the live debugger", delivery.pk)
