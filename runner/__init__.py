"""The sandbox that runs Source Functions: V8 isolates via mini-racer, no Django.

    from runner import Limits, run
    result = run(code, {"body": {"type": "charge"}}, {"apiKey": "..."},
                 limits=Limits(timeout_ms=2000), secret_names=["apiKey"])
    result.to_dict()  # the JSON the CLI prints
    compile_error("async function onRequest() { } }")  # the SyntaxError at line 1, or None

Workers keep warm isolates with an IsolatePool (see runner.pool for the reuse policy).
What an execution may use and emit is one runner.Limits (runner.limits). What functions
keep with `cache.load` lives in a store the caller gives (runner.cache: MemoryCache, or
any FunctionCache), per Invocation.cache_scope.
"""

from runner.cache import CacheBounds, FunctionCache, MemoryCache
from runner.engine import EngineError, IsolateOutOfMemory, IsolateTimeout
from runner.executor import CompileError
from runner.limits import DEFAULT_LIMITS, LimitError, Limits
from runner.pool import MAX_TIMEOUT_MS, IsolatePool, compile_error, run
from runner.request import (
    MAX_BODY_BYTES,
    RequestFormatError,
    body_text,
    load_request_file,
    normalize_request,
)
from runner.result import Invocation, Result

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_BODY_BYTES",
    "MAX_TIMEOUT_MS",
    "CacheBounds",
    "CompileError",
    "EngineError",
    "FunctionCache",
    "Invocation",
    "IsolateOutOfMemory",
    "IsolatePool",
    "IsolateTimeout",
    "LimitError",
    "Limits",
    "MemoryCache",
    "RequestFormatError",
    "Result",
    "body_text",
    "compile_error",
    "load_request_file",
    "normalize_request",
    "run",
]
