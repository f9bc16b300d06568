"""A function's code, compiled into an isolate: its syntax errors at the user's own line
and column, its loops guarded (runner.loops).

The compiled script is the user's code between two lines of the runner's, so that its
lines are the user's plus one (result.LINE_OFFSET) and its columns the user's:

    (function (__runnerLoop) { return function () {
    <the code>
    ;return typeof onRequest === "function" ? onRequest : undefined; }; })

Its value, given the runtime's loop guard, is the factory every execution calls (it
runs the top-level code and gives the entry point). It stays sloppy code, as in Node.

A stray `}` in the code would close the runner's wrapper, and V8 would then report the
error further on (at the runner's last line). So a script that does not compile is
parsed again alone, as a script (whose top level nothing closes), with a first line
that throws before any of it runs: that error is at the user's own position.
"""

from __future__ import annotations

import logging
from typing import Any

from runner.engine import EngineError, Isolate, ScriptError
from runner.executor import CompileError
from runner.loops import GUARD, loop_guarded
from runner.result import limit_error, syntax_error

logger = logging.getLogger(__name__)

COMPILE_TIMEOUT_S = 5
LOAD_FAILED = "the function's code did not finish loading within 5 s"
# What V8 allows in a function's body but not at a script's top level: when the script
# parse stops there, the error of the wrapped code is the one to report.
_BODY_ONLY = ("Illegal return statement", "new.target expression is not allowed here")


def factory_script(code: str, legacy: bool) -> str:
    """The script whose value takes the loop guard and gives the function's factory."""
    if legacy:
        head = "var module = { exports: {} }; return (function (exports, module) {"
        tail = ";return module.exports; })(module.exports, module);"
    else:
        head = ""
        tail = ';return typeof onRequest === "function" ? onRequest : undefined;'
    return (
        f"(function ({GUARD}) {{ return function () {{ {head}\n{code}\n{tail} }}; }})"
        "\n//# sourceURL=function.js"
    )


def install(isolate: Isolate, code: str, legacy: bool) -> None:
    """Compile the code (its loops guarded) and install it; CompileError when it does
    not compile, with the SyntaxError at the user's line and column. The isolate keeps
    where the guards went (`loop_columns`), to map V8's columns back."""
    try:
        _install(isolate, code, legacy)
    except ScriptError as exc:  # the runtime refused it: only a damaged one would
        raise CompileError(limit_error("RunnerError", str(exc)[:500])) from None
    except EngineError:  # code that escapes its wrapper and loops or fills the heap
        raise CompileError(limit_error("TimeoutError", LOAD_FAILED)) from None


def _install(isolate: Isolate, code: str, legacy: bool) -> None:
    guarded = loop_guarded(code)
    maker = None
    if guarded is not None:
        try:
            maker = isolate.eval(factory_script(guarded.code, legacy), timeout_s=COMPILE_TIMEOUT_S)
        except ScriptError:
            # The instrumenter read code V8 refuses once guarded: run it as written.
            logger.warning("guarded code does not compile; running it without loop guards")
            guarded = None
    if maker is None:
        maker = compiled(isolate, code, legacy)
    isolate.call("installLegacy" if legacy else "install", maker, timeout_s=COMPILE_TIMEOUT_S)
    isolate.loop_columns = guarded.columns if guarded else None


def compiled(isolate: Isolate, code: str, legacy: bool) -> Any:
    """The code as written, compiled in the isolate; CompileError when it does not."""
    try:
        return isolate.eval(factory_script(code, legacy), timeout_s=COMPILE_TIMEOUT_S)
    except ScriptError as exc:
        raise CompileError(_located(isolate, code, str(exc))) from None
    except EngineError:  # code that escapes its wrapper and loops or fills the heap
        raise CompileError(limit_error("TimeoutError", LOAD_FAILED)) from None


def _located(isolate: Isolate, code: str, wrapped_message: str) -> dict[str, Any]:
    """The SyntaxError at the user's own position (see the module's docstring). The
    isolate is closed after this: the script may have declared its globals."""
    try:
        isolate.eval(f"throw 0;\n{code}\n//# sourceURL=function.js", timeout_s=COMPILE_TIMEOUT_S)
    except ScriptError as exc:
        if exc.parse:
            alone = syntax_error(str(exc), code=code)
            if alone["message"] not in _BODY_ONLY:
                return alone
    except EngineError:
        pass
    return syntax_error(wrapped_message, code=code)
