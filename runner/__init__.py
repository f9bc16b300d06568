"""The sandbox that runs Source Functions: V8 isolates via mini-racer, no Django.

    from runner import run
    result = run(code, {"body": {"type": "charge"}}, {"apiKey": "..."})

Workers keep warm isolates with an IsolatePool (see runner.pool for the reuse policy).
"""

from runner.engine import EngineError, IsolateOutOfMemory, IsolateTimeout
from runner.executor import CompileError
from runner.pool import MAX_TIMEOUT_MS, IsolatePool, run
from runner.request import MAX_BODY_BYTES, RequestFormatError, load_request_file, normalize_request
from runner.result import Invocation, Result

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_TIMEOUT_MS",
    "CompileError",
    "EngineError",
    "Invocation",
    "IsolateOutOfMemory",
    "IsolatePool",
    "IsolateTimeout",
    "RequestFormatError",
    "Result",
    "load_request_file",
    "normalize_request",
    "run",
]
