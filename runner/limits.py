"""The limits of an execution: one frozen object, the allowed range of each, and the
worst case of a batch, so that every part that budgets time or bytes uses one formula.

    from runner import Limits
    limits = Limits(timeout_ms=2000, events=5000)   # LimitError when out of range
    limits.batch_deadline_s(50)                     # how long 50 executions may take
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

KB = 1024
MB = 1024 * KB
# What one execution costs beyond its own time limit, in a batch: its share of the V8
# calls, the fetch bridge and the report.
EXECUTION_OVERHEAD_S = 0.1
# The most a function may answer its webhook's sender with (runner/response.py).
RESPONSE_BODY_BYTES = 64 * KB


class LimitError(ValueError):
    """A limit out of its allowed range; the message names the field and the range."""

    def __init__(self, name: str, value: Any, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.value = value


def _limit(default: int, low: int, high: int, unit: str, what: str) -> Any:
    return field(default=default, metadata={"min": low, "max": high, "unit": unit, "what": what})


@dataclass(frozen=True)
class Limits:
    """What one execution may use and emit. Every field is an int within its bounds
    (`Limits.bounds(name)`); the constructor (and `dataclasses.replace`) checks them."""

    timeout_ms: int = _limit(1000, 1, 10_000, "ms", "the time limit per execution")
    heap_mb: int = _limit(128, 32, 4096, "MB", "the heap of an isolate")
    request_bytes: int = _limit(2 * MB, 1, 64 * MB, "bytes", "the cap on a request body")
    events: int = _limit(1000, 1, 100_000, "events", "the cap on events per execution")
    objects: int = _limit(1000, 1, 100_000, "objects", "the cap on objects per execution")
    console_lines: int = _limit(1000, 1, 100_000, "lines", "the cap on console lines per execution")
    console_bytes: int = _limit(
        64 * KB, 1 * KB, 16 * MB, "bytes", "the cap on console output per execution"
    )
    fetch_calls: int = _limit(50, 0, 1000, "calls", "the cap on fetch calls per execution")

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            problem = self.problem(item.name, value)
            if problem:
                raise LimitError(item.name, value, f"{item.name}: {problem}, not {value!r}")

    @classmethod
    def bounds(cls, name: str) -> tuple[int, int]:
        """The smallest and largest value allowed for a field."""
        meta = _field(name).metadata
        return meta["min"], meta["max"]

    @classmethod
    def problem(cls, name: str, value: Any) -> str | None:
        """What `value` must be for the field `name`, in words; None when it fits."""
        meta = _field(name).metadata
        low, high, unit = meta["min"], meta["max"], meta["unit"]
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"{meta['what']} must be a whole number from {low:,} to {high:,} {unit}"

    @property
    def worst_execution_s(self) -> float:
        """The longest one execution of a batch may legitimately take: its run, then the
        end of its pending work (each up to the time limit), plus its overhead."""
        return 2 * self.timeout_ms / 1000 + EXECUTION_OVERHEAD_S

    def batch_deadline_s(self, count: int) -> float:
        """The longest a batch of `count` executions may take (they run one after another)."""
        return count * self.worst_execution_s

    def to_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def output_caps(self) -> dict[str, int]:
        """The caps the JavaScript side enforces at each call (runtime.js)."""
        return {
            "events": self.events,
            "objects": self.objects,
            "consoleLines": self.console_lines,
            "consoleBytes": self.console_bytes,
            "responseBytes": RESPONSE_BODY_BYTES,
        }


def _field(name: str) -> Any:
    for item in fields(Limits):
        if item.name == name:
            return item
    raise KeyError(f"Limits has no field {name!r}")


DEFAULT_LIMITS = Limits()
