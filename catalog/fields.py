"""The JSON column of what users write (samples, saved tests, settings and their values).

PostgreSQL's jsonb cannot hold a NUL character (`\\u0000`, in a key or a text): such a
value was a DataError at the insert, a 500 for the API, while SQLite kept it. Every JSON
a user writes goes through this field, so both databases refuse it alike, before the
query, with a field error in words (a 400 from the API).

Output the product records of runs (executions, events, objects) is not refused but
cleaned, where it is recorded (ingest.record.stores.without_nul).
"""

from django.core.exceptions import ValidationError
from django.db import models


def nul_at(value, where: str = "") -> str | None:
    """Where the first NUL character of a JSON value is (`headers`, `body.items[2]`),
    "" for the value itself, or None when it has none."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            place = f"{where}.{key}" if where else str(key)
            if "\x00" in str(key):
                return place
            found = nul_at(item, place)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_at(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def refuse_nul(value, field: str) -> None:
    """A ValidationError keyed by `field` when the value holds a NUL character."""
    place = nul_at(value)
    if place is None:
        return
    shown = place.replace("\x00", "\\u0000")
    at = f" at {shown}" if place else ""
    raise ValidationError(
        {field: f"Holds a NUL character (\\u0000){at}, which cannot be stored: remove it."}
    )


class UserJSONField(models.JSONField):
    """models.JSONField that refuses a value with a NUL character (see the module).
    `error_key` names the field as the API's input does (a sample's `settings` are
    kept as `test_values`). Migrations see a plain models.JSONField."""

    def __init__(self, *args, error_key: str | None = None, **kwargs) -> None:
        self.error_key = error_key
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        if isinstance(value, dict | list | tuple | str):
            refuse_nul(value, self.error_key or self.name)
        return super().get_prep_value(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs
