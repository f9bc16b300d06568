"""Which rows of which tables a batch becomes, before any database is involved.

Segment's warehouse schema: `tracks` (every track, standard columns only), one table per
track event (with its properties), `identifies` and `users` (the latest traits per user
id), `pages`, `screens`, `groups`, `aliases`, and one table per object collection. Rows
are keyed by id: a message id appears once per table (the first copy in the batch), and
the sets of one user or object are merged in order, so each table gets one row per id
and an upsert never meets the same id twice in one statement."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from ingest.deliver.destinations.base import Batch, ObjectSet
from ingest.deliver.destinations.warehouse.names import normalise, schema_name, table_name
from ingest.deliver.destinations.warehouse.values import (
    TEXT,
    TIMESTAMP,
    Value,
    flatten,
    moment,
    text,
    typed,
)

APPEND, LATEST, MERGE = "append", "latest", "merge"

EVENT_COLUMNS = {
    "id": TEXT,
    "received_at": TIMESTAMP,
    "sent_at": TIMESTAMP,
    "timestamp": TIMESTAMP,
    "user_id": TEXT,
    "anonymous_id": TEXT,
    "uuid_ts": TIMESTAMP,
}
TRACK_COLUMNS = {**EVENT_COLUMNS, "event": TEXT, "event_text": TEXT}
GROUP_COLUMNS = {**EVENT_COLUMNS, "group_id": TEXT}
ALIAS_COLUMNS = {**EVENT_COLUMNS, "previous_id": TEXT}
USER_COLUMNS = {"id": TEXT, "received_at": TIMESTAMP, "timestamp": TIMESTAMP, "uuid_ts": TIMESTAMP}
OBJECT_COLUMNS = {"id": TEXT, "received_at": TIMESTAMP, "uuid_ts": TIMESTAMP}

Row = dict[str, Value]  # normalised column name -> value


@dataclass
class Table:
    """The rows one table gets. `mode`: APPEND (events: a row that exists stays as it
    is), LATEST (users: a newer identify replaces, per column, what an older one set)
    or MERGE (objects: each set replaces the columns it gives)."""

    name: str
    mode: str
    standard: dict[str, str]
    rows: dict[str, Row] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        key = row["id"].value
        if key not in self.rows:
            self.rows[key] = row
        elif self.mode != APPEND:
            self.rows[key].update(row)


@dataclass
class Plan:
    schema: str
    loaded_at: datetime
    tables: dict[str, Table] = field(default_factory=dict)
    skipped: int = 0

    @cached_property
    def now(self) -> Value:
        """received_at (when the message has none) and uuid_ts of every row."""
        return moment(self.loaded_at)

    def table(self, name: str, mode: str, standard: dict[str, str]) -> Table:
        if name not in self.tables:
            self.tables[name] = Table(name, mode, standard)
        return self.tables[name]


def plan(batch: Batch, loaded_at: datetime) -> Plan:
    """The tables and rows of a batch, loaded at `loaded_at`."""
    result = Plan(schema_name(batch.source), loaded_at)
    # Identifies in time order, so that merging a user's rows leaves the newest traits.
    for message in sorted(batch.events, key=_event_time):
        _add_event(result, message)
    for object_set in batch.objects:
        _add_object(result, object_set)
    return result


def _add_event(result: Plan, message: dict) -> None:
    kind = message.get("type")
    row = _standard(message, result.now)
    if kind == "track":
        _add_track(result, message, row)
    elif kind == "identify":
        _add_identify(result, message, row)
    elif kind in ("page", "screen"):
        fields = dict(message.get("properties") or {})
        fields.update({k: message[k] for k in ("name", "category") if message.get(k)})
        row |= _context(message) | _columns(fields, EVENT_COLUMNS)
        result.table(f"{kind}s", APPEND, EVENT_COLUMNS).add(row)
    elif kind == "group":
        row |= _ids(message, group_id="groupId") | _context(message)
        row |= _columns(message.get("traits"), GROUP_COLUMNS)
        result.table("groups", APPEND, GROUP_COLUMNS).add(row)
    elif kind == "alias":
        row |= _ids(message, previous_id="previousId") | _context(message)
        result.table("aliases", APPEND, ALIAS_COLUMNS).add(row)
    else:
        result.skipped += 1


def _add_track(result: Plan, message: dict, row: Row) -> None:
    name = message.get("event")
    row |= _context(message)
    if isinstance(name, str) and name:
        event_table = table_name(name)
        row |= {"event": text(event_table), "event_text": text(name)}
        properties = _columns(message.get("properties"), TRACK_COLUMNS)
        result.table(event_table, APPEND, TRACK_COLUMNS).add(row | properties)
    result.table("tracks", APPEND, TRACK_COLUMNS).add(row)


def _add_identify(result: Plan, message: dict, row: Row) -> None:
    traits = _columns(message.get("traits"), EVENT_COLUMNS)
    result.table("identifies", APPEND, EVENT_COLUMNS).add(row | _context(message) | traits)
    if "user_id" in row:
        user = {"id": row["user_id"], "received_at": row["received_at"], "uuid_ts": row["uuid_ts"]}
        if "timestamp" in row:
            user["timestamp"] = row["timestamp"]
        result.table("users", LATEST, USER_COLUMNS).add(user | traits)


def _add_object(result: Plan, object_set: ObjectSet) -> None:
    key = text(object_set.id)
    if key is None:
        result.skipped += 1
        return
    row = {"id": key, "received_at": result.now, "uuid_ts": result.now}
    row |= _columns(object_set.properties, OBJECT_COLUMNS)
    result.table(table_name(object_set.collection), MERGE, OBJECT_COLUMNS).add(row)


def _standard(message: dict, now: Value) -> Row:
    """The columns every event table has."""
    row: Row = {"id": text(message.get("messageId")) or text(_derived_id(message))}
    row["received_at"] = typed(message.get("receivedAt")) or now
    row |= _typed(message, sent_at="sentAt", timestamp="timestamp")
    row |= _ids(message, user_id="userId", anonymous_id="anonymousId")
    row["uuid_ts"] = now
    return row


def _typed(message: dict, **columns: str) -> Row:
    values = {column: typed(message.get(key)) for column, key in columns.items()}
    return {column: value for column, value in values.items() if value is not None}


def _ids(message: dict, **columns: str) -> Row:
    values = {column: text(message.get(key)) for column, key in columns.items()}
    return {column: value for column, value in values.items() if value is not None}


def _context(message: dict) -> Row:
    return _flattened(message.get("context"), "context")


def _columns(mapping: object, standard: dict[str, str]) -> Row:
    """Columns from properties or traits. As in Segment's warehouses, one named like a
    standard column (or like a context column) is not loaded: it would overwrite it."""
    row = _flattened(mapping, "")
    return {
        name: value
        for name, value in row.items()
        if name not in standard and not name.startswith("context_")
    }


def _flattened(mapping: object, prefix: str) -> Row:
    row: Row = {}
    for path, raw in flatten(mapping, prefix):
        value = typed(raw)
        if value is not None:
            row[normalise(path)] = value
    return row


def _derived_id(message: dict) -> str:
    # A message without messageId still loads once: its id is a digest of its content.
    canonical = json.dumps(message, sort_keys=True, default=str)
    return "sha256-" + hashlib.sha256(canonical.encode()).hexdigest()


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _event_time(message: dict) -> datetime:
    value = typed(message.get("timestamp"))
    return value.value if value is not None and value.kind == TIMESTAMP else _EARLIEST
