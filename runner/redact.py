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
such as a Basic authorization header); forms of CASELESS_CHARS or more in any case; a
fetch record's URL as written, before its query is masked; and V8's JSON.parse window
when it is part of a secret. The error's texts are cut at ERROR_TEXT_CHARS here too.

Events and objects are the function's chosen output, sent where it decided: they are
left as they are.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

from runner.fetch import recorded_url
from runner.result import Result

MIN_PART_CHARS = 6
CASELESS_CHARS = 6
# The error's texts, cut past this many characters each (docs/runner.md, limits).
ERROR_TEXT_CHARS = 8192
_CUT_FIELDS = frozenset({"message", "stack", "hint"})
# V8's JSON.parse error: `Unexpected token 'S', "S3cr3t/Key"... is not valid JSON`.
_JSON_WINDOW_MARK = "is not valid JSON"
_JSON_WINDOW = re.compile(
    r"(?P<before>Unexpected token '.{1,2}', (?:\.\.\.)?\")(?P<window>.*?)"
    r"(?P<after>\"(?:\.\.\.)? is not valid JSON)",
    re.DOTALL,
)
# Fields of errors, log lines and fetch records that the runner writes, not the function.
_NOT_TEXT = frozenset({"level", "method"})


class Redactor:
    """The secrets of one set of settings, ready to take out of results."""

    def __init__(self, pattern: re.Pattern[str], names: dict[str, str], values: tuple) -> None:
        self._pattern = pattern
        self._names = names
        self._folded = {form.lower(): name for form, name in names.items()}
        self._values = values  # (name, string) of each secret string, for JSON windows
        self.longest = max(map(len, names))

    def text(self, text: str) -> str:
        text = self._pattern.sub(lambda match: f"[secret {self._name(match.group())}]", text)
        if _JSON_WINDOW_MARK in text:
            text = _JSON_WINDOW.sub(self._json_window, text)
        return text

    def url(self, url: str) -> str:
        """A fetch's URL as its record keeps it (runner.fetch.recorded_url), the secrets
        taken out of it as the function wrote it: masking the query decodes it (`+`
        becomes a space, a `&` splits a value), after which a secret no longer reads
        as itself. Each secret is held meanwhile by a placeholder that reads the same in
        a host, a path or a query name (lowercase letters and digits)."""
        tag, found = secrets.token_hex(8), []

        def hold(match: re.Match[str]) -> str:
            found.append(self._name(match.group()))
            return f"{tag}x{len(found) - 1}x"

        masked = recorded_url(self._pattern.sub(hold, url))
        held = re.compile(rf"{tag}x(\d+)x")
        return self.text(held.sub(lambda match: f"[secret {found[int(match[1])]}]", masked))

    def result(self, result: Result) -> None:
        """Replace the secrets in the result's logs and fetch records (in place: the
        result was just made from the execution's report, nothing else holds them); the
        error is shown_error's."""
        for record in (*result.logs, *result.fetches):
            for key, value in record.items():
                if isinstance(value, str) and key not in _NOT_TEXT and key != "url":
                    record[key] = self.text(value)

    def _name(self, form: str) -> str:
        """The setting a matched form belongs to: matched as written or in another case."""
        found = self._names.get(form) or self._folded.get(form.lower())
        if found is None:  # a case Python's lower() folds otherwise than the pattern did
            found = next(
                name
                for known, name in self._names.items()
                if re.fullmatch(re.escape(known), form, re.IGNORECASE)
            )
        return found

    def _json_window(self, match: re.Match[str]) -> str:
        """V8's `... "<about 10 characters>"... is not valid JSON` shows a window of the
        text parsed: when that window is part of a secret, it is the secret's."""
        window = match["window"]
        for name, value in self._values:
            if len(window) >= MIN_PART_CHARS and window in value:
                return f"{match['before']}[secret {name}]{match['after']}"
        return match.group()


def shown_error(error: dict[str, Any], found: Redactor | None) -> dict[str, Any]:
    """The error as the result keeps it: secrets taken out, and its message, stack and
    hint cut at ERROR_TEXT_CHARS each. Only the part kept is redacted (plus the longest
    secret's length, so that a secret across the cut is redacted whole, before the cut),
    which keeps an 8 MB message cheap."""
    shown = {}
    for key, value in error.items():
        if not isinstance(value, str) or key in _NOT_TEXT:
            shown[key] = value
        elif key in _CUT_FIELDS:
            shown[key] = _cut(value, found)
        else:
            shown[key] = found.text(value) if found else value
    return shown


def _cut(text: str, found: Redactor | None) -> str:
    window = text[: ERROR_TEXT_CHARS + (found.longest if found else 0)]
    kept = found.text(window) if found else window
    if len(kept) <= ERROR_TEXT_CHARS and len(window) == len(text):
        return kept
    cut = len(kept) - ERROR_TEXT_CHARS + len(text) - len(window)
    return f"{kept[:ERROR_TEXT_CHARS]}… [{cut:,} characters cut]"


def redactor(settings: dict[str, Any], secret_names: Sequence[str]) -> Redactor | None:
    """The Redactor of the settings named secret; None when they have no value to hide."""
    secrets = tuple(
        (name, json.dumps(settings[name]))
        for name in dict.fromkeys(secret_names)
        if name in settings
    )
    pattern, names = _matcher(secrets)
    if pattern is None:
        return None
    values = tuple(
        (name, part)
        for name, encoded in secrets
        for part in _strings_in(json.loads(encoded))
        if len(part) >= MIN_PART_CHARS
    )
    return Redactor(pattern, names, values)


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
    return re.compile("|".join(_alternative(form) for form in alternatives)), names


def _alternative(form: str) -> str:
    """A form as the pattern looks for it: from CASELESS_CHARS on, in any case (a host
    name is lowercased, `getaddrinfo ENOTFOUND hostsecretabc123.example.invalid`)."""
    escaped = re.escape(form)
    return f"(?i:{escaped})" if len(form) >= CASELESS_CHARS else escaped


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
