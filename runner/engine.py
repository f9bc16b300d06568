"""One V8 isolate with the runner's prelude, on top of mini-racer.

V8 is started lazily, in the process that runs code, the first time an isolate is
created: never at import, so a Celery prefork parent that imports the runner and then
forks stays safe. An isolate is used by one thread at a time (the pool hands it out).

The runner's protocol (js/src/runtime.js: install, start, step, abort, collect) is not
a global: the prelude hands its functions to Python once, before any function is
installed, and Python keeps them as mini-racer handles (runner/minirace_adapter.py).
No global and no object a function can reach leads to them.

A call that does not answer in time is not cancelled but the whole isolate is closed,
which terminates whatever JavaScript it runs (including microtasks that outlive a task).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from runner.minirace_adapter import Context, TaskTimeout

DIST = Path(__file__).parent / "js" / "dist"
# Handed to every isolate: small, and the runtime itself needs Buffer and URL.
LIBRARIES = ("lodash", "xml", "buffer", "url", "crypto", "oauth")
# The libraries of Segment's runtime page: bundle -> the globals that expose it. An
# isolate gets a bundle only when its function's code names one of them, so a function
# that uses none pays nothing for them (docs/performance.md).
NAMED_LIBRARIES = {
    "uuidv5": ("uuidv5",),
    "moment": ("moment",),
    "jsonwebtoken": ("jsonwebtoken",),
    "xml2js": ("xml2js",),
    "zlib": ("zlib",),
    "winston": ("winstonlib",),
    "stripe": ("stripe",),
    "twilio": ("twilio",),
    "sendgrid": ("sendgrid",),
    "hubspot": ("hubspotlib",),
    "jsforce": ("jsforce",),
    "mailjet": ("nodemailjet",),
    "https": ("https",),
}
# Bundles that load another one (winston's file transport requires zlib).
NEEDS = {"winston": ("zlib",)}
PROTOCOL = ("install", "installLegacy", "start", "step", "abort", "collect")


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
def library_source(name: str) -> str:
    return (DIST / f"lib-{name}.js").read_text(encoding="utf-8")


def _name_pattern(name: str) -> re.Pattern[str]:
    # The global as code uses it: not a property (`api.stripe.com`), not a key or a URL
    # scheme (`stripe:`, `https://`); `globalThis.stripe` counts.
    return re.compile(rf"(?:(?<![\w$.])|(?<=globalThis\.)|(?<=global\.)){name}(?![\w$:])")


_NAME_PATTERNS = {
    bundle: [_name_pattern(name) for name in names] for bundle, names in NAMED_LIBRARIES.items()
}


def named_libraries(code: str) -> tuple[str, ...]:
    """The bundles of NAMED_LIBRARIES (and what they need) that `code` names a global of.

    A name is looked for in the text, comments and strings included: a false match only
    costs the library's load; a global read under a computed name gets a clear error."""
    found = {b for b, patterns in _NAME_PATTERNS.items() if any(p.search(code) for p in patterns)}
    for bundle in list(found):
        found.update(NEEDS.get(bundle, ()))
    return tuple(sorted(found))


@cache
def hand_over_payload(named: tuple[str, ...] = ()) -> str:
    """What the prelude's one-shot global takes: the libraries (the always-present ones
    and the `named` bundles) and the globals to load now. It gives the protocol back."""
    sources = {name: library_source(name) for name in (*LIBRARIES, *named)}
    load = [name for bundle in named for name in NAMED_LIBRARIES[bundle]]
    return json.dumps({"libraries": sources, "load": load})


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

    def __init__(self, *, max_memory_bytes: int, libraries: tuple[str, ...] = ()) -> None:
        """`libraries`: bundles of NAMED_LIBRARIES to hand over and load (named_libraries)."""
        self._context = Context(_event_loop())
        self.closed = False
        self.runs = 0
        # Where the loop guards went in the installed code (runner.loops.ColumnMap).
        self.loop_columns: Any = None
        self._context.racer.set_hard_memory_limit(max_memory_bytes)
        self.eval(prelude_source(), timeout_s=10)
        hand_over = self.eval("__runnerHandOver", timeout_s=10)
        payload = hand_over_payload(tuple(libraries))
        protocol = self._guarded(lambda: self._context.call(hand_over, payload, timeout_s=10))
        self._protocol = {name: protocol[name] for name in PROTOCOL}

    def eval(self, code: str, *, timeout_s: float) -> Any:
        """Evaluate a script; raise IsolateTimeout / IsolateOutOfMemory / ScriptError."""
        return self._guarded(lambda: self._context.eval(code, timeout_s=timeout_s))

    def call(self, name: str, payload: Any = "", *, timeout_s: float) -> Any:
        """Call one of the protocol's functions with its payload (text, or the
        function's factory for install); errors as for eval."""
        function = self._protocol[name]
        return self._guarded(lambda: self._context.call(function, payload, timeout_s=timeout_s))

    def _guarded(self, task: Callable[[], Any]) -> Any:
        from py_mini_racer import JSEvalException, JSOOMException, JSParseException

        try:
            return task()
        except TaskTimeout:
            self.close()
            raise IsolateTimeout from None
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
        return not self.closed and self._context.racer.was_hard_memory_limit_reached()

    def heap_used_bytes(self) -> int:
        return int(self._context.racer.heap_stats()["used_heap_size"])

    def collect_garbage(self) -> None:
        """A full garbage collection: frees the unreachable ArrayBuffers at once."""
        self._context.racer.low_memory_notification()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._protocol = {}  # the handles are freed while their context still exists
        self._context.close()
