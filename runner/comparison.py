"""Two runs of one request compared: what a source's current version emitted for a
webhook and what a draft emits for it (the preview on recent traffic). No Django.

Messages are paired in order by what they are (an event's type and name, an object's
collection and id), as a text diff pairs lines: a pair whose fields differ is
*changed*, a message only the draft emits is *new*, one only the current version
emitted is *missing*. Fields are compared exactly (runner.expectations.value_differences
with `exact`): no wildcard, and a field only one side has is a difference.

Two fields are filled in by the runner, not by the function: a `messageId` (stable per
execution id and position, runner.result.message_id) and a `timestamp` (the run's
clock). Where both sides of a pair have the one the runner would fill in, the field is
not compared: the messageId of an event that moved, the timestamp of two runs made at
different times.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runner.expectations import Wording, describe_error, shown, value_differences
from runner.result import message_id

# "events[0].properties.amount: was 20, now 0.2"
PREVIEW_WORDING = Wording(expected="was", got="now", missing="now missing")
LISTS = ("events", "objects")


@dataclass(frozen=True)
class RunWindow:
    """When a run took place: a `timestamp` within it may be one the runner filled in."""

    start: datetime
    end: datetime

    def holds(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return False
        if moment.tzinfo is None or self.start.tzinfo is None:
            return False
        return self.start <= moment <= self.end


@dataclass
class ListChanges:
    """How one list (events or objects) differs between the two runs."""

    changed: list[dict[str, Any]] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.changed or self.new or self.missing)

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {"changed": self.changed, "new": self.new, "missing": self.missing}


@dataclass
class Comparison:
    """What differs between the current version's run (before) and the draft's (after).

    `error` is None when both returned or both failed alike; else `{"change": "new" |
    "fixed" | "changed", "before", "after"}` (the errors, None on the side that returned)."""

    events: ListChanges
    objects: ListChanges
    error: dict[str, Any] | None = None

    @property
    def same(self) -> bool:
        return self.error is None and self.events.empty and self.objects.empty

    def to_dict(self) -> dict[str, Any]:
        return {
            "same": self.same,
            "events": self.events.to_dict(),
            "objects": self.objects.to_dict(),
            "error": self.error,
        }


def compare_runs(
    before: dict[str, Any],
    after: dict[str, Any],
    *,
    execution_id: str | None = None,
    before_window: RunWindow | None = None,
    after_window: RunWindow | None = None,
) -> Comparison:
    """Compare two results (Result.to_dict() shape: events, objects, error).

    `execution_id`: the id both runs' message ids were made from (a webhook's ingest
    event); each window, when its run took place (for the timestamps it filled in)."""
    generated = _Generated(execution_id, before_window, after_window)
    events = _compare_list(
        "events", before.get("events") or [], after.get("events") or [], _event_key, generated
    )
    objects = _compare_list(
        "objects", before.get("objects") or [], after.get("objects") or [], _object_key, None
    )
    return Comparison(events, objects, _error_change(before.get("error"), after.get("error")))


def _event_key(message: dict[str, Any]) -> tuple:
    return (message.get("type"), message.get("event") or message.get("name"))


def _object_key(item: dict[str, Any]) -> tuple:
    return (item.get("collection"), str(item.get("id")))


class _Generated:
    """Which of a pair's fields both runs had filled in by the runner."""

    def __init__(self, execution_id: str | None, before: RunWindow | None, after: RunWindow | None):
        self.execution_id = execution_id
        self.windows = (before, after)

    def fields(self, pair: tuple[dict, dict], indices: tuple[int, int]) -> set[str]:
        found = {"messageId", "timestamp"}
        for side in (0, 1):
            message, index, window = pair[side], indices[side], self.windows[side]
            if self.execution_id is None or message.get("messageId") != message_id(
                self.execution_id, index
            ):
                found.discard("messageId")
            if window is None or not window.holds(message.get("timestamp")):
                found.discard("timestamp")
        return found


def _compare_list(
    name: str,
    before: list[dict],
    after: list[dict],
    key: Callable[[dict], tuple],
    generated: _Generated | None,
) -> ListChanges:
    changes = ListChanges()
    matcher = difflib.SequenceMatcher(
        None, [key(m) for m in before], [key(m) for m in after], autojunk=False
    )
    for _, b_start, b_end, a_start, a_end in matcher.get_opcodes():
        paired = min(b_end - b_start, a_end - a_start)
        for offset in range(paired):
            i, j = b_start + offset, a_start + offset
            differences = _pair_differences(name, (before[i], after[j]), (i, j), generated)
            if differences:
                changes.changed.append(
                    {"index": j, "was_index": i, "differences": differences,
                     "before": before[i], "after": after[j]}
                )  # fmt: skip
        for i in range(b_start + paired, b_end):
            changes.missing.append({"index": i, "message": before[i]})
        for j in range(a_start + paired, a_end):
            changes.new.append({"index": j, "message": after[j]})
    return changes


def _pair_differences(
    name: str, pair: tuple[dict, dict], indices: tuple[int, int], generated: _Generated | None
) -> list[str]:
    before, after = pair
    skipped = generated.fields(pair, indices) if generated else set()
    if skipped:
        before = {k: v for k, v in before.items() if k not in skipped}
        after = {k: v for k, v in after.items() if k not in skipped}
    return value_differences(
        before, after, f"{name}[{indices[1]}]", exact=True, wording=PREVIEW_WORDING
    )


def _error_change(before: dict | None, after: dict | None) -> dict[str, Any] | None:
    if not before and not after:
        return None
    if before and after:
        alike = (before.get("name"), before.get("message")) == (
            after.get("name"),
            after.get("message"),
        )
        return None if alike else {"change": "changed", "before": before, "after": after}
    return {"change": "new" if after else "fixed", "before": before or None, "after": after or None}


def comparison_lines(comparison: dict[str, Any]) -> list[str]:
    """A comparison (Comparison.to_dict(), as the API gives it) as readable lines."""
    lines = []
    error = comparison.get("error")
    if error:
        lines.append(_error_line(error))
    for name in LISTS:
        changes = comparison.get(name) or {}
        for change in changes.get("changed", []):
            lines += [f"changed {line}" for line in change["differences"]]
        for item in changes.get("new", []):
            lines.append(f"new {name}[{item['index']}]: {shown(item['message'])}")
        for item in changes.get("missing", []):
            lines.append(f"missing (was {name}[{item['index']}]): {shown(item['message'])}")
    return lines


def _error_line(error: dict[str, Any]) -> str:
    if error["change"] == "new":
        return f"new error: {describe_error(error['after'])}"
    if error["change"] == "fixed":
        return f"error gone (the current version failed: {describe_error(error['before'])})"
    before, after = describe_error(error["before"]), describe_error(error["after"])
    return f"error changed: was {before}, now {after}"
