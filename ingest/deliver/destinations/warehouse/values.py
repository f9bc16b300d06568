"""What a JSON value of a message is in a warehouse column: its type and its value.

Four types, as Segment's warehouses have them: text, numeric, boolean and timestamp (a
string that reads as an ISO-8601 date and time). Nested objects are flattened into
columns joined with `_`; arrays are stored as their JSON text; nulls create nothing."""

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

TEXT, NUMERIC, BOOLEAN, TIMESTAMP = "text", "numeric", "boolean", "timestamp"
KINDS = (TEXT, NUMERIC, BOOLEAN, TIMESTAMP)

# A date with a time ("2024-05-01T10:00:00.000Z", "2024-05-01 10:00+02:00"): a plain
# date or a number stays what it is, so that a zip code never turns into a timestamp.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Value:
    """One value for one column: `value` is what a column of `kind` holds; `source` the
    text a timestamp was read from."""

    kind: str
    value: object
    source: str = ""

    @property
    def text(self) -> str:
        """How it reads in a text column (a type-conflict column, or a text column)."""
        if self.kind == TEXT:
            return self.value  # type: ignore[return-value]
        if self.kind == TIMESTAMP:
            return self.source
        if self.kind == BOOLEAN:
            return "true" if self.value else "false"
        return json.dumps(self.value)


def typed(raw: object) -> Value | None:
    """The warehouse value of a JSON scalar or array; None for null."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return Value(BOOLEAN, raw)
    if isinstance(raw, int) or (isinstance(raw, float) and math.isfinite(raw)):
        return Value(NUMERIC, raw)
    if isinstance(raw, str):
        text = storable(raw)
        moment = timestamp(text)
        return Value(TIMESTAMP, moment, text) if moment else Value(TEXT, text)
    return Value(TEXT, storable(json.dumps(raw, ensure_ascii=False, default=str)))


def text(raw: object) -> Value | None:
    """An id (message, user, group, object): always text, whatever JSON type it had."""
    if raw is None or raw == "":
        return None
    return Value(TEXT, storable(raw if isinstance(raw, str) else json.dumps(raw)))


def storable(raw: str) -> str:
    """Text both databases store: without NUL (PostgreSQL text cannot hold it) and
    without lone UTF-16 surrogates (not UTF-8; JSON may carry them as escapes)."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raw = raw.encode("utf-8", "replace").decode("utf-8")
    return raw.replace("\x00", "")


def timestamp(raw: str) -> datetime | None:
    """The moment an ISO-8601 date-time string names (UTC when it names no zone)."""
    if len(raw) < 16 or not raw[0].isdigit() or not _ISO_DATETIME.fullmatch(raw):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def moment(value: datetime) -> Value:
    """A timestamp the loader itself sets (received_at, uuid_ts)."""
    return Value(TIMESTAMP, value, value.isoformat())


def flatten(mapping: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(path, raw value) for every non-null leaf: nested objects become
    `parent_child` paths, arrays stay whole (typed() stores them as JSON text)."""
    if not isinstance(mapping, dict):
        return
    for key, raw in mapping.items():
        path = f"{prefix}_{key}" if prefix else str(key)
        if isinstance(raw, dict):
            yield from flatten(raw, path)
        elif raw is not None:
            yield path, raw


def accepts(column_kind: str, value: Value) -> bool:
    """Whether a column of that kind can hold the value without changing it. A text
    column holds anything as text; a numeric, boolean or timestamp column only its own
    kind; a column of a type the loader does not make ("other") holds nothing of ours."""
    return column_kind in (value.kind, TEXT)


def for_json(column_kind: str, value: Value) -> object:
    """The value as the JSON the loader sends for a column of that kind: timestamps as
    ISO-8601 with their offset (never read in the session's time zone)."""
    if column_kind == TEXT:
        return value.text
    if isinstance(value.value, datetime):
        return value.value.isoformat()
    return value.value
