"""Pushes to the live source debugger: one Channels group per source."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def source_group(source_id: int) -> str:
    return f"source-{source_id}"


def execution_summary(execution) -> dict:
    error = execution.error or {}
    return {
        "id": execution.pk,
        "ingest_event": execution.ingest_event_id,
        "attempt": execution.attempt,
        "status": execution.status,
        "started_at": execution.started_at.isoformat(),
        "duration_ms": round(execution.duration_ms, 2),
        "event_count": execution.event_count,
        "object_count": execution.object_count,
        "error": f"{error.get('name')}: {error.get('message')}" if error else None,
    }


def publish_execution(execution) -> None:
    """Best effort: a debugger that misses a message loses nothing stored."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            source_group(execution.source_id),
            {"type": "execution.finished", "execution": execution_summary(execution)},
        )
    except Exception:
        logger.warning("could not publish execution %s to the live debugger", execution.pk)
