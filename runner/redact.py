"""Secret setting values taken out of what an execution records.

A function reads its instance's encrypted settings in clear (it must, to call an API),
and they end up in what the execution log keeps: the message and stack of an error (a
failed fetch names its URL, `?api_key=...`), console output, fetch records. Every such
text goes through a Redactor, applied where a Result is made from the report of an
execution (runner.executor._result), so no output escapes it. Each secret becomes
`[secret <name>]`.

What is looked for, per secret setting: its value when a string (whatever its length);
for an array or a map, its JSON text and each string in it of MIN_PART_CHARS or more;
and each of those also as JSON and console-escaped, URL-encoded (encodeURIComponent,
form encoding) and base64 (standard and URL-safe, alone or inside a longer base64 text
such as a Basic authorization header).

Events and objects are the function's chosen output, sent where it decided: they are
left as they are.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

from runner.result import Result

MIN_PART_CHARS = 6
# Fields of errors, log lines and fetch records that the runner writes, not the function.
_NOT_TEXT = frozenset({"level", "method"})


class Redactor:
    """The secrets of one set of settings, ready to take out of results."""

    def __init__(self, pattern: re.Pattern[str], names: dict[str, str]) -> None:
        self._pattern = pattern
        self._names = names

    def text(self, text: str) -> str:
        return self._pattern.sub(lambda match: f"[secret {self._names[match.group()]}]", text)

    def result(self, result: Result) -> None:
        """Replace the secrets in the result's error, logs and fetch records (in place:
        the result was just made from the execution's report, nothing else holds them)."""
        for record in (result.error, *result.logs, *result.fetches):
            for key, value in (record or {}).items():
                if isinstance(value, str) and key not in _NOT_TEXT:
                    record[key] = self.text(value)


def redactor(settings: dict[str, Any], secret_names: Sequence[str]) -> Redactor | None:
    """The Redactor of the settings named secret; None when they have no value to hide."""
    secrets = tuple(
        (name, json.dumps(settings[name]))
        for name in dict.fromkeys(secret_names)
        if name in settings
    )
    pattern, names = _matcher(secrets)
    return None if pattern is None else Redactor(pattern, names)


@lru_cache(maxsize=64)
def _matcher(secrets: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str] | None, dict]:
    """One regular expression for all the forms of all the secrets (longest first, so a
    value wins over a part of it), and the setting each form belongs to."""
    names: dict[str, str] = {}
    for name, encoded in secrets:
        for form in _forms_of_value(json.loads(encoded)):
            names.setdefault(form, name)
    if not names:
        return None, names
    alternatives = sorted(names, key=len, reverse=True)
    return re.compile("|".join(re.escape(form) for form in alternatives)), names


def _forms_of_value(value: Any) -> set[str]:
    if isinstance(value, str):
        return forms(value) if value else set()
    if not isinstance(value, dict | list):
        return set()  # a boolean or a number: it reads as any other
    found = forms(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    for part in _strings_in(value):
        if len(part) >= MIN_PART_CHARS:
            found |= forms(part)
    return found


def _strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def forms(text: str) -> set[str]:
    """The spellings of `text` an execution's output may hold."""
    found = {
        text,
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
        # How console.log quotes a string inside an object (runner/js/src/inspect.js).
        text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n"),
        quote(text, safe=""),
        quote(text, safe="!*'()~"),  # encodeURIComponent
        quote_plus(text, safe="*"),  # URLSearchParams, form bodies
    }
    found |= _base64_forms(text.encode("utf-8"))
    return {form for form in found if form}


def _base64_forms(data: bytes) -> set[str]:
    """The base64 of `data`, and the part of it that is the same wherever `data` starts
    inside a longer text (one per alignment: 0, 1 or 2 bytes before it)."""
    whole = base64.b64encode(data).decode("ascii")
    found = {whole, whole.rstrip("=")}
    for before in range(3):
        encoded = base64.b64encode(b"\0" * before + data).decode("ascii")
        first = -(-8 * before // 6)  # the first character made of `data` alone
        last = 8 * (before + len(data)) // 6
        part = encoded[first:last]
        if len(part) >= MIN_PART_CHARS:
            found.add(part)
    found |= {form.replace("+", "-").replace("/", "_") for form in found}
    return found
