"""The event store and the object store ("warehouse tables")."""

import json
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from ingest import sql
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
    never duplicate an event (a replay asked to redeliver takes it over instead, so
    the destinations get it again)."""
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
    again = [row for row in rows if row.ingest_event.redeliver]
    if again:  # a replay that redelivers takes over the stored events of its message ids
        StoredEvent.objects.bulk_create(
            again, update_conflicts=True, unique_fields=["source", "message_id"],
            update_fields=["ingest_event", "type", "message", "received_at"],
        )  # fmt: skip
    rows = [row for row in rows if not row.ingest_event.redeliver]
    sql.insert(StoredEvent, rows, ignore_conflicts=True)
    return len(rows) + len(again)


def upsert_objects(changes: Iterable[tuple[IngestEvent, dict]]) -> None:
    """Merge each object's properties into what the workspace has: the last write
    wins per property, properties not mentioned are kept, every change is logged.

    One statement per collection, however many objects (a function may set a thousand
    in one run). Rows are written in one order (by collection and id) so that two
    workers writing the same objects cannot deadlock; writes to one object within the
    batch are merged in the order they were made."""
    changes = list(changes)
    merged: dict[tuple[int, str], dict[str, dict]] = {}
    for event, item in changes:
        key = (event.source.workspace_id, _key(item["collection"], "A collection name"))
        object_id = _key(item["id"], "An object id")
        objects = merged.setdefault(key, {})
        objects[object_id] = {**objects.get(object_id, {}), **item["properties"]}
    now = timezone.now()
    ids = {}
    for (workspace_id, collection), objects in sorted(merged.items()):
        rows = _upsert_collection(workspace_id, collection, dict(sorted(objects.items())), now)
        ids.update({(workspace_id, collection, object_id): pk for object_id, pk in rows})
    ObjectChange.objects.bulk_create(
        ObjectChange(
            object_id=ids[(event.source.workspace_id, str(item["collection"]), str(item["id"]))],
            source_id=event.source_id,
            ingest_event=event,
            properties=item["properties"],
            changed_at=now,
        )
        for event, item in changes
    )


def _upsert_collection(workspace_id: int, collection: str, objects: dict, now) -> list:
    """Upsert the objects of one collection; their (object id, row id) pairs."""
    if connection.vendor == "postgresql":
        return _merge_on_conflict(workspace_id, collection, objects, now)
    # SQLite: one writer at a time holds the whole database, so reading the rows and
    # writing them merged is as safe as PostgreSQL's merge in the statement.
    existing = dict(
        WarehouseObject.objects.filter(
            workspace_id=workspace_id, collection=collection, object_id__in=objects
        ).values_list("object_id", "properties")
    )
    WarehouseObject.objects.bulk_create(
        [
            WarehouseObject(
                workspace_id=workspace_id,
                collection=collection,
                object_id=object_id,
                properties={**existing.get(object_id, {}), **properties},
                created_at=now,
                updated_at=now,
            )
            for object_id, properties in objects.items()
        ],
        update_conflicts=True,
        unique_fields=["workspace", "collection", "object_id"],
        update_fields=["properties", "updated_at"],
    )
    return list(
        WarehouseObject.objects.filter(
            workspace_id=workspace_id, collection=collection, object_id__in=objects
        ).values_list("object_id", "id")
    )


def _merge_on_conflict(workspace_id: int, collection: str, objects: dict, now) -> list:
    table = WarehouseObject._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s::jsonb, %s, %s)"] * len(objects))
    params = []
    for object_id, properties in objects.items():
        params += [workspace_id, collection, object_id, json.dumps(properties), now, now]
    sql = (
        f"INSERT INTO {table} (workspace_id, collection, object_id, properties, created_at, "
        f"updated_at) VALUES {values} ON CONFLICT (workspace_id, collection, object_id) "
        f"DO UPDATE SET properties = {table}.properties || EXCLUDED.properties, "
        "updated_at = EXCLUDED.updated_at RETURNING object_id, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
