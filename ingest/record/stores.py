"""The event store and the object store ("warehouse tables")."""

from collections.abc import Iterable

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


def store_events(produced: Iterable[tuple[IngestEvent, list[dict]]]) -> int:
    """Add the messages of each ingest event to its source's event store, in one
    insert. A message id already there is skipped, so re-running an execution can
    never duplicate an event."""
    rows = [
        StoredEvent(
            source_id=event.source_id,
            ingest_event=event,
            message_id=_key(message["messageId"], "A messageId"),
            type=message["type"],
            message=message,
        )
        for event, messages in produced
        for message in messages
    ]
    return len(StoredEvent.objects.bulk_create(rows, ignore_conflicts=True)) if rows else 0


def upsert_objects(changes: Iterable[tuple[IngestEvent, dict]]) -> None:
    """Merge each object's properties into what the workspace has: the last write
    wins per property, properties not mentioned are kept, every change is logged.

    Rows are locked in one order (by collection and id) so that two workers writing
    the same objects cannot deadlock; a stable sort keeps each object's writes in
    the order they were made."""
    for event, item in sorted(changes, key=lambda c: (str(c[1]["collection"]), str(c[1]["id"]))):
        _upsert(event, item)


def _upsert(event: IngestEvent, item: dict) -> None:
    now = timezone.now()
    row, created = WarehouseObject.objects.select_for_update().get_or_create(
        workspace_id=event.source.workspace_id,
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
