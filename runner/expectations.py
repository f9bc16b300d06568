"""Saved tests: a test case's format and how a run's result is matched against it.

The one statement of the contract "Saved tests, run locally" (ARCHITECTURE.md), used by
`functions-cli test`, the server's saved tests and the deploy gate alike. No Django.

A case is ``{"name", "request", "settings"?, "expect"}``. ``expect`` is either
``{"events": [...], "objects": [...]}`` (each list optional: one left out is not
checked) or ``{"error": {"name"?, "message"?}}``.

Matching: events and objects in order and in number; within each message every field
given must be equal (objects compared recursively, fields the actual output has beyond
those given are allowed; lists keep their length and order), and the string ``"*"``
matches any value of a field that is present. An error expectation passes when the
function failed with that class (``name``) and a message containing ``message``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from runner.request import RequestFormatError, normalize_request

WILDCARD = "*"
MESSAGE_LISTS = ("events", "objects")
# How deep an expectation may nest (objects and lists): far past any message's, and well
# within what matching (recursive) and storing it as JSON can take.
MAX_NESTING = 100
# A value in a diff line is cut to this many characters of JSON.
SHOWN_CHARS = 160
# A case lists at most this many differences, the last saying how many more there are:
# an expectation of 700,000 events (2 MB of `{}`) is not 700,000 lines of output.
MAX_DIFFERENCES = 50


class CaseFormatError(ValueError):
    """A test case that is not in the contract's format, in words for its author."""


@dataclass(frozen=True)
class TestCase:
    name: str
    request: dict[str, Any]  # as written (either form); normalise when running
    settings: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)

    __test__ = False  # not a pytest class


def parse_case(obj: Any, *, where: str = "the test case", default_name: str = "") -> TestCase:
    """A TestCase from its JSON form, or CaseFormatError saying what to fix.
    `default_name` names a case that gives none (a case file: its file name)."""
    if not isinstance(obj, dict):
        raise CaseFormatError(f"{where} must be a JSON object")
    name = obj.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise CaseFormatError(f'{where} needs a "name" (a non-empty string)')
    if "request" not in obj:
        raise CaseFormatError(f'{where} needs a "request"')
    try:
        normalize_request(obj["request"])
    except RequestFormatError as exc:
        raise CaseFormatError(f'{where}: "request": {exc}') from None
    settings = obj.get("settings", {})
    if not isinstance(settings, dict):
        raise CaseFormatError(f'{where}: "settings" must be an object of names to values')
    problem = expectation_problem(obj.get("expect"))
    if problem:
        raise CaseFormatError(f'{where}: "expect" {problem}')
    return TestCase(name.strip(), obj["request"], settings, obj["expect"])


def expectation_problem(expect: Any) -> str | None:
    """What is wrong with an expectation (None when it is well formed)."""
    if not isinstance(expect, dict):
        return 'must be an object with "events" and "objects", or "error"'
    if nests_deeper(expect, MAX_NESTING):
        return f"nests deeper than {MAX_NESTING} levels"
    unknown = sorted(set(expect) - {*MESSAGE_LISTS, "error"})
    if unknown:
        return f'has an unknown field "{unknown[0]}" (use "events", "objects" or "error")'
    if "error" in expect:
        if set(expect) & set(MESSAGE_LISTS):
            return 'gives "error" with "events"/"objects": a failed run emits nothing'
        return _error_problem(expect["error"])
    if not set(expect) & set(MESSAGE_LISTS):
        return 'must give "events", "objects" or "error"'
    for name in MESSAGE_LISTS:
        messages = expect.get(name, [])
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            return f'"{name}" must be a list of objects'
    return None


def nests_deeper(value: Any, levels: int) -> bool:
    """Whether a JSON value has objects or lists more than `levels` deep (the value
    itself is the first level); without recursion, however deep it goes."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item
        if not isinstance(item, dict | list):
            continue
        if depth > levels:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _error_problem(error: Any) -> str | None:
    if not isinstance(error, dict) or not (error.keys() & {"name", "message"}):
        return '"error" must be an object with "name" and/or "message"'
    if set(error) - {"name", "message"}:
        return '"error" takes only "name" (the error class) and "message" (a fragment)'
    if not all(isinstance(error.get(k, ""), str) for k in ("name", "message")):
        return '"error": "name" and "message" must be strings'
    return None


def match_result(expect: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """The differences between an expectation and a run's result (Result.to_dict()),
    one readable line each; an empty list when the case passes."""
    error = result.get("error")
    if "error" in expect:
        return _match_error(expect["error"], error, result)
    if error:
        return [f"the function failed: {describe_error(error)}"]
    differences = itertools.chain.from_iterable(
        _match_list(name, expect[name], result.get(name) or [])
        for name in MESSAGE_LISTS
        if name in expect
    )
    return _at_most_shown(differences)


def _at_most_shown(differences: Iterator[str]) -> list[str]:
    """The first MAX_DIFFERENCES; past them, the last line counts the rest (which are
    made one by one and counted, never kept)."""
    shown = list(itertools.islice(differences, MAX_DIFFERENCES))
    more = sum(1 for _ in differences)
    if not more:
        return shown
    return [*shown[:-1], f"… and {more + 1:,} more differences"]


def _match_error(expected: dict, actual: dict | None, result: dict) -> list[str]:
    wanted = _describe_expected_error(expected)
    if not actual:
        emitted = ", ".join(
            _counted(len(result.get(name) or []), name[:-1]) for name in ("events", "objects")
        )
        return [f"expected the function to fail with {wanted}; it returned ({emitted})"]
    name, message = expected.get("name"), expected.get("message")
    if (name and actual.get("name") != name) or (
        message and message not in actual.get("message", "")
    ):
        return [f"expected {wanted}; got {describe_error(actual)}"]
    return []


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun if count == 1 else noun + 's'}"


def _describe_expected_error(expected: dict) -> str:
    parts = [expected["name"]] if expected.get("name") else ["an error"]
    if expected.get("message"):
        parts.append(f"with a message containing {expected['message']!r}")
    return " ".join(parts)


def describe_error(error: dict) -> str:
    """A run's error in one line: `TypeError: x is not defined (line 3)`."""
    where = f" (line {error['line']})" if error.get("line") else ""
    return f"{error.get('name', 'Error')}: {error.get('message', '')}{where}"


def _match_list(name: str, expected: list, actual: list) -> Iterator[str]:
    for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
        yield from _match_value(want, got, f"{name}[{index}]")
    if len(expected) != len(actual):
        yield f"{name}: expected {len(expected)}, got {len(actual)}"
        for index in range(len(actual), len(expected)):
            yield f"  missing {name}[{index}]: {shown(expected[index])}"
        for index in range(len(expected), len(actual)):
            yield f"  unexpected {name}[{index}]: {shown(actual[index])}"


@dataclass(frozen=True)
class Wording:
    """The words of a difference line: what was wanted, what came instead."""

    expected: str = "expected"
    got: str = "got"
    missing: str = "missing"


EXPECTATION = Wording()


def value_differences(
    expected: Any, actual: Any, path: str, *, exact: bool = False,
    wording: Wording = EXPECTATION,
) -> list[str]:  # fmt: skip
    """The differences between two values, one line each, `path` naming where they are.

    By default the matching of saved tests: `"*"` matches any value, fields the actual
    value has beyond the expected ones are allowed. `exact` (two runs compared, as the
    preview on recent traffic does): no wildcard, and an extra field is a difference."""
    return _match_value(expected, actual, path, exact, wording)


def _match_value(
    expected: Any, actual: Any, path: str, exact: bool = False, words: Wording = EXPECTATION
) -> list[str]:
    if expected == WILDCARD and not exact:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [_unequal(path, expected, actual, words)]
        differences = []
        for key, want in expected.items():
            if key not in actual:
                differences.append(f"{path}.{key}: {words.expected} {shown(want)}, {words.missing}")
            else:
                differences += _match_value(want, actual[key], f"{path}.{key}", exact, words)
        if exact:
            differences += [
                f"{path}.{key}: new, {words.got} {shown(got)}"
                for key, got in actual.items()
                if key not in expected
            ]
        return differences
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [_unequal(path, expected, actual, words)]
        if len(expected) != len(actual):
            counts = f" ({len(expected)} vs {len(actual)} items)"
            return [_unequal(path, expected, actual, words) + counts]
        differences = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            differences += _match_value(want, got, f"{path}[{index}]", exact, words)
        return differences
    if _same_scalar(expected, actual):
        return []
    return [_unequal(path, expected, actual, words)]


def _same_scalar(expected: Any, actual: Any) -> bool:
    # JSON has one number type (20 == 20.0), but true is not 1.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return expected == actual


def _unequal(path: str, expected: Any, actual: Any, words: Wording = EXPECTATION) -> str:
    return f"{path}: {words.expected} {shown(expected)}, {words.got} {shown(actual)}"


def shown(value: Any) -> str:
    """A value as a difference line shows it: JSON, cut at SHOWN_CHARS."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
