"""The event store and the object store ("warehouse tables")."""

from django.utils import timezone

from ingest.models import IngestEvent, ObjectChange, StoredEvent, WarehouseObject

MAX_KEY_LENGTH = 200  # message ids, collections and object ids


class UnstorableOutput(ValueError):
    """What a function emitted cannot be kept as it is; the message says why."""


def without_nul(value):
    """The value with NUL characters replaced: PostgreSQL's JSON cannot hold them, and
    console output of binary bodies often has some."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


def _key(value, what: str) -> str:
    text = str(value)
    if len(text) > MAX_KEY_LENGTH or "\x00" in text:
        raise UnstorableOutput(
            f"{what} must be at most {MAX_KEY_LENGTH} characters without NUL characters."
        )
    return text


def store_events(event: IngestEvent, messages: list[dict]) -> int:
    """Add the messages to the source's event store. A message id already there is
    skipped, so re-running an execution can never duplicate an event."""
    rows = [
        StoredEvent(
            source_id=event.source_id,
            ingest_event=event,
            message_id=_key(message["messageId"], "A messageId"),
            type=message["type"],
            message=message,
        )
        for message in messages
    ]
    return len(StoredEvent.objects.bulk_create(rows, ignore_conflicts=True))


def upsert_objects(event: IngestEvent, objects: list[dict]) -> None:
    """Merge each object's properties into what the workspace has: the last write
    wins per property, properties not mentioned are kept, every change is logged."""
    workspace_id = event.source.workspace_id
    for item in objects:
        now = timezone.now()
        row, created = WarehouseObject.objects.select_for_update().get_or_create(
            workspace_id=workspace_id,
            collection=_key(item["collection"], "A collection name"),
            object_id=_key(item["id"], "An object id"),
            defaults={"properties": item["properties"], "created_at": now, "updated_at": now},
        )
        if not created:
            row.properties = {**row.properties, **item["properties"]}
            row.updated_at = now
            row.save(update_fields=["properties", "updated_at"])
        ObjectChange.objects.create(
            object=row,
            source_id=event.source_id,
            ingest_event=event,
            properties=item["properties"],
            changed_at=now,
        )
