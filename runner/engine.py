"""One V8 isolate with the runner's prelude, on top of mini-racer.

V8 is started lazily, in the process that runs code, the first time an isolate is
created: never at import, so a Celery prefork parent that imports the runner and then
forks stays safe. An isolate is used by one thread at a time (the pool hands it out).

Evaluation goes through mini-racer's uncancelable task queue directly rather than its
asyncio wrapper: it saves two thread hops per call (about 70 µs instead of 250 µs). A
call that does not answer in time is not cancelled but the whole isolate is closed,
which terminates whatever JavaScript it runs (including microtasks that outlive a task).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
from functools import cache
from pathlib import Path
from typing import Any

DIST = Path(__file__).parent / "js" / "dist"
LIBRARIES = ("lodash", "xml", "buffer", "url", "crypto", "oauth")
SCRIPT_NAME = "function.js"


class EngineError(Exception):
    """The isolate could not do what was asked: see the subclasses."""


class IsolateTimeout(EngineError):
    """JavaScript did not give control back in time; the isolate is closed."""


class IsolateOutOfMemory(EngineError):
    """The heap limit was reached; the isolate is closed."""


class ScriptError(EngineError):
    """JavaScript threw while evaluating (or parsing) a script of the runner."""

    def __init__(self, message: str, *, parse: bool) -> None:
        super().__init__(message)
        self.parse = parse


@cache
def prelude_source() -> str:
    return (DIST / "prelude.js").read_text(
        encoding="utf-8"
    ) + "\n//# sourceURL=runner-internal/prelude.js"


@cache
def libraries_call() -> str:
    sources = {name: (DIST / f"lib-{name}.js").read_text(encoding="utf-8") for name in LIBRARIES}
    return f"__runner.registerLibraries({json.dumps(sources)}); __runnerReady(); 0"


_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None


def _event_loop() -> asyncio.AbstractEventLoop:
    """mini-racer wants an asyncio loop for setup and teardown; one per process."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is not None and _loop_pid != os.getpid():
            raise RuntimeError(
                "V8 was started in this process's parent before it forked; "
                "start the runner only in the process that runs functions"
            )
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="runner-v8-loop", daemon=True).start()
            _loop_pid = os.getpid()
        return _loop


class Isolate:
    """A V8 isolate with the prelude loaded and a heap limit."""

    def __init__(self, *, max_memory_bytes: int) -> None:
        from py_mini_racer import mini_racer

        self._maker = mini_racer(event_loop=_event_loop())
        self._racer = self._maker.__enter__()
        self._ctx = self._racer._ctx
        self.closed = False
        self.runs = 0
        self._racer.set_hard_memory_limit(max_memory_bytes)
        self.eval(prelude_source(), timeout_s=10)
        self.eval(libraries_call(), timeout_s=10)

    def eval(self, code: str, *, timeout_s: float) -> Any:
        """Evaluate a script; raise IsolateTimeout / IsolateOutOfMemory / ScriptError."""
        from py_mini_racer import JSEvalException, JSOOMException, JSParseException

        ctx = self._ctx
        handle = ctx._python_to_value_handle(code)
        ctx._dll.mr_eval(ctx._ctx, handle.raw, 0)
        try:
            answer = ctx._non_cancelable_mr_task_results_queue.get(timeout=max(timeout_s, 0.001))
        except queue.Empty:
            self.close()
            raise IsolateTimeout from None
        try:
            return ctx._value_handle_to_python(answer)
        except JSOOMException:
            self.close()
            raise IsolateOutOfMemory from None
        except JSParseException as exc:
            raise ScriptError(str(exc), parse=True) from None
        except JSEvalException as exc:
            if self.memory_limit_reached():
                self.close()
                raise IsolateOutOfMemory from None
            raise ScriptError(str(exc), parse=False) from None

    def memory_limit_reached(self) -> bool:
        return not self.closed and self._racer.was_hard_memory_limit_reached()

    def heap_used_bytes(self) -> int:
        return int(self._racer.heap_stats()["used_heap_size"])

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._maker.__exit__(None, None, None)
