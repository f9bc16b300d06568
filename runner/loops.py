"""Loop guards: where a function was when its time ran out.

A V8 termination from outside (the time limit as the executor enforces it) leaves no
stack, so an infinite loop would end in a TimeoutError without a line. Instead, the
code an isolate compiles has a call to the runtime's guard at the top of every loop
body (js/src/tools/instrument.js, on acorn); at the execution's limit the guard throws a
TimeoutError whose stack is the loop's, and the error names its line.

The guards change no line: each goes in after a body's `{`, on the same line, so only
the columns after it on that line move. `ColumnMap` moves them back, so every line and
column the user sees is of the code as written.

The instrumenter runs in a V8 context of its own, one per process, where the function's
code is only read as text, never run; its answers are kept per code (LRU). Code it
cannot read (a syntax error: V8 then says what is wrong) or that has no loop runs as
written.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

from runner.engine import DIST, _event_loop
from runner.minirace_adapter import Context, TaskTimeout

logger = logging.getLogger(__name__)

GUARD = "__runnerLoop"  # the name instrument.js calls; the compiled code's parameter
KEPT = 256  # instrumented codes kept per process
TIMEOUT_S = 5.0
HEAP_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class ColumnMap:
    """Where the guards went in: per line, (column, length, loop line, loop column)
    with the column 0-based in the code as written."""

    lines: dict[int, tuple[tuple[int, int, int, int], ...]]

    @classmethod
    def from_insertions(cls, insertions: list[list[int]]) -> ColumnMap:
        lines: dict[int, list[tuple[int, int, int, int]]] = {}
        for line, column, length, loop_line, loop_column in insertions:
            lines.setdefault(line, []).append((column, length, loop_line, loop_column))
        return cls({line: tuple(sorted(items)) for line, items in lines.items()})

    def original(self, line: int, column: int) -> tuple[int, int]:
        """The user's (line, column) of a 1-based column V8 gave in the guarded code;
        a position inside a guard is its loop's."""
        shift = 0
        for at, length, loop_line, loop_column in self.lines.get(line, ()):
            start = at + shift
            if column - 1 < start:
                break
            if column - 1 < start + length:
                return loop_line, loop_column
            shift += length
        return line, column - shift


@dataclass(frozen=True)
class Guarded:
    code: str
    columns: ColumnMap


@cache
def _instrumenter_source() -> str:
    return (DIST / "instrument.js").read_text(encoding="utf-8")


class _Instrumenter:
    """The context acorn runs in, made when first needed and again after a failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._context: Context | None = None
        self._function: Any = None
        self._kept: OrderedDict[str, Guarded | None] = OrderedDict()

    def guarded(self, code: str) -> Guarded | None:
        key = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            found = self._instrument(code)
            self._kept[key] = found
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
            return found

    def _instrument(self, code: str) -> Guarded | None:
        try:
            if self._context is None:
                self._start()
            answer = json.loads(self._context.call(self._function, code, timeout_s=TIMEOUT_S))
        except Exception as exc:  # any failure here only costs the guards
            logger.warning("loop guards unavailable for this code: %s", type(exc).__name__)
            self._stop()
            return None
        if answer is None:
            return None
        return Guarded(answer["code"], ColumnMap.from_insertions(answer["columns"]))

    def _start(self) -> None:
        context = Context(_event_loop())
        try:
            context.racer.set_hard_memory_limit(HEAP_BYTES)
            context.eval(_instrumenter_source(), timeout_s=TIMEOUT_S)
            self._function = context.eval("__runnerTools.instrumentText", timeout_s=TIMEOUT_S)
        except BaseException:
            context.close()
            raise
        self._context = context

    def _stop(self) -> None:
        context, self._context, self._function = self._context, None, None
        if context is not None:
            try:
                context.close()
            except TaskTimeout:
                pass


_instrumenter = _Instrumenter()


def loop_guarded(code: str) -> Guarded | None:
    """The code with its loops guarded and where the guards went, or None to run the
    code as written (it has no loop, or the instrumenter cannot read it)."""
    return _instrumenter.guarded(code)
