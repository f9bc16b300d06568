"""The JSON column of what users write (samples, saved tests, settings and their values).

PostgreSQL's jsonb cannot hold a NUL character (`\\u0000`, in a key or a text): such a
value was a DataError at the insert, a 500 for the API, while SQLite kept it; a value
nested some 900 levels deep was a RecursionError while writing it. Every JSON a user
writes goes through this field, so both databases refuse these alike, before the query,
with a field error in words (a 400 from the API).

Output the product records of runs (executions, events, objects) is not refused but
cleaned, where it is recorded (ingest.record.stores.without_nul).
"""

import json

from django.core.exceptions import ValidationError
from django.db import models

from runner.expectations import MAX_NESTING, nests_deeper


def nul_at(value) -> str | None:
    """Where the first NUL character of a JSON value is (`headers.X`, `body.items[2]`),
    "" for the value itself, or None when it has none. Without recursion: a value may
    nest as deep as the JSON parser allows."""
    stack = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, inner in reversed(item.items()):
                place = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    return place
                stack.append((inner, place))
        elif isinstance(item, list | tuple):
            stack.extend((inner, f"{where}[{i}]") for i, inner in reversed(list(enumerate(item))))
    return None


def refuse_unstorable(value, field: str) -> None:
    """A ValidationError keyed by `field` when the value holds a NUL character or nests
    deeper than MAX_NESTING levels (Python's JSON writer, which recurses, failed on it
    at some 900 levels)."""
    if nests_deeper(value, MAX_NESTING):
        raise ValidationError(
            {field: f"Nests deeper than {MAX_NESTING} levels, which cannot be stored."}
        )
    place = nul_at(value)
    if place is None:
        return
    shown = place.replace("\x00", "\\u0000")
    at = f" at {shown}" if place else ""
    raise ValidationError(
        {field: f"Holds a NUL character (\\u0000){at}, which cannot be stored: remove it."}
    )


# What a function keeps of each kind (its samples; its saved tests' requests and
# expectations) as JSON, in all. The editor loads every one of a kind when it opens the
# function and the deploy gate runs every saved test: one may be as large as a webhook
# (the API takes some 2 MB), 50 of them were some 100 MB.
KEPT_BYTES = 5_000_000


def json_size(value) -> int:
    """The bytes of a JSON value as compact UTF-8 text."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def kept_too_much(total: int, kind: str) -> str | None:
    """The problem, in words, when a function's `kind` ("samples") would hold `total`
    bytes of JSON, past KEPT_BYTES; else None."""
    if total <= KEPT_BYTES:
        return None
    return (
        f"A function's {kind} hold at most {KEPT_BYTES:,} bytes ({KEPT_BYTES / 1_000_000:g} "
        f"MB) of JSON in all; these would hold {total:,}. Delete one, or keep a smaller one."
    )


class UserJSONField(models.JSONField):
    """models.JSONField that refuses a value with a NUL character or nested too deep (see
    the module).
    `error_key` names the field as the API's input does (a sample's `settings` are
    kept as `test_values`). Migrations see a plain models.JSONField."""

    def __init__(self, *args, error_key: str | None = None, **kwargs) -> None:
        self.error_key = error_key
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        if isinstance(value, dict | list | tuple | str):
            refuse_unstorable(value, self.error_key or self.name)
        return super().get_prep_value(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
