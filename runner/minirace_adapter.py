"""The one module that uses mini-racer's private API; the rest of the runner goes
through its `Context`.

Why private: mini-racer's public `eval` runs on its asyncio loop thread (two thread
hops, about 250 µs a call against 70 µs here), and it offers no way to call a JS
function held by Python without an arguments array that costs another round trip. The
runner calls its protocol functions (runner/js/src/prelude.js) this way, so that no
global of the isolate leads to them. What is used, all of it from mini-racer 0.14.1:

- `MiniRacer._ctx`, the `Context` behind the public object;
- `Context._dll.mr_eval` and `Context._dll.mr_call_function`, which start a V8 task
  whose answer, for callback id 0, lands on `Context._non_cancelable_mr_task_results_queue`;
- `Context._python_to_value_handle` / `_value_handle_to_python`, the conversions;
- `JSObjectImpl.raw_handle`, the handle of a JS object Python holds;
- `_dll._dll_handle`, to know whether V8 has started (see `start_v8`).

`check()` runs before the first context is made (and in tests/runner/test_minirace_adapter.py):
an upgrade that moves any of these fails at once, naming what changed, instead of
misbehaving later. The version is pinned exactly in pyproject.toml for that reason.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from functools import cache
from importlib import metadata
from typing import Any

PINNED_VERSION = "0.14.1"
# callback id 0: mini-racer's "uncancelable task" channel, answered on the results queue.
_UNCANCELABLE = 0
_CONTEXT_FIELDS = (
    "_dll",
    "_ctx",
    "_non_cancelable_mr_task_results_queue",
    "_python_to_value_handle",
    "_value_handle_to_python",
)
# name -> number of C arguments mini-racer declares for it
_DLL_FUNCTIONS = {"mr_eval": 3, "mr_call_function": 5}


class AdapterError(RuntimeError):
    """The installed mini-racer is not the one this adapter was written against."""


class TaskTimeout(Exception):
    """V8 did not answer in time; the caller must close the context."""


class WrongThread(RuntimeError):
    """V8 would be started from a thread other than the main one."""


def _fail(reason: str) -> None:
    raise AdapterError(
        f"runner/minirace_adapter.py uses mini-racer's private API as of version "
        f"{PINNED_VERSION}, and {reason}. Re-check every private name listed in that "
        f"module against the installed version, then update PINNED_VERSION and the pin "
        f"in pyproject.toml."
    )


@cache
def check() -> None:
    """Fail loudly if mini-racer's private API is not what this module relies on."""
    try:
        installed = metadata.version("mini-racer")
    except metadata.PackageNotFoundError:
        _fail("mini-racer is not installed")
    if installed != PINNED_VERSION:
        _fail(f"version {installed} is installed")
    from py_mini_racer import _context, _dll, _objects

    fields = getattr(_context.Context, "__dataclass_fields__", {})
    for name in _CONTEXT_FIELDS:
        if name not in fields and not hasattr(_context.Context, name):
            _fail(f"its Context has no {name!r}")
    if not isinstance(getattr(_objects.JSObjectImpl, "raw_handle", None), property):
        _fail("its JSObjectImpl has no raw_handle property")
    if _context._UNCANCELABLE_TASK_CALLBACK_ID != _UNCANCELABLE:
        _fail("its uncancelable task callback id is no longer 0")
    if not hasattr(_dll, "_dll_handle"):
        _fail("its _dll module no longer keeps _dll_handle")
    start_v8()
    dll = _dll.init_mini_racer(ignore_duplicate_init=True)
    for name, arity in _DLL_FUNCTIONS.items():
        function = getattr(dll, name, None)
        if function is None or len(function.argtypes or ()) != arity:
            _fail(f"its library has no {name} taking {arity} arguments")


def start_v8() -> None:
    """Start V8 on the main thread. Started from another thread (even one that lives
    on), V8 crashes the process on the next context made (segmentation fault in
    mr_init_context, mini-racer 0.14.1 on Linux). A sandbox process starts it on its
    main thread; a host with an "inline" pool must run it there first."""
    from py_mini_racer import _dll, init_mini_racer

    if _dll._dll_handle is None and threading.current_thread() is not threading.main_thread():
        raise WrongThread(
            "V8 must start on the main thread of a process (started from another thread, "
            "it crashes the process on the next isolate): run the first function of an "
            'inline pool from the main thread, or use isolation="process"'
        )
    init_mini_racer(ignore_duplicate_init=True)


class Context:
    """A mini-racer context (one V8 isolate), driven from the calling thread."""

    def __init__(self, event_loop: asyncio.AbstractEventLoop) -> None:
        check()
        start_v8()
        from py_mini_racer import mini_racer

        self._maker = mini_racer(event_loop=event_loop)
        self.racer = self._maker.__enter__()
        self._ctx = self.racer._ctx
        self._closed = False
        # The arguments of every call: an array no JS global or object leads to.
        self._no_arguments = self.eval("[]", timeout_s=5).raw_handle

    def eval(self, code: str, *, timeout_s: float) -> Any:
        """Evaluate a script; raise TaskTimeout, or mini-racer's JS exceptions."""
        ctx = self._ctx
        handle = ctx._python_to_value_handle(code)
        ctx._dll.mr_eval(ctx._ctx, handle.raw, _UNCANCELABLE)
        return self._answer(timeout_s)

    def call(self, function: Any, receiver: Any, *, timeout_s: float) -> Any:
        """Call a JS function Python holds with `receiver` as its `this` and no
        arguments: one V8 task, as cheap as an eval (an argument would take another
        call to fill an arguments array). A strict-mode function sees the receiver
        as given, a string included."""
        ctx = self._ctx
        this = ctx._python_to_value_handle(receiver)
        ctx._dll.mr_call_function(
            ctx._ctx, function.raw_handle.raw, this.raw, self._no_arguments.raw, _UNCANCELABLE
        )
        return self._answer(timeout_s)

    def _answer(self, timeout_s: float) -> Any:
        ctx = self._ctx
        try:
            answer = ctx._non_cancelable_mr_task_results_queue.get(timeout=max(timeout_s, 0.001))
        except queue.Empty:
            raise TaskTimeout from None
        return ctx._value_handle_to_python(answer)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        del self._no_arguments  # freed while its context still exists
        self._maker.__exit__(None, None, None)
