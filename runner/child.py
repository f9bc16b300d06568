"""The sandbox process: `python -m runner.child CONFIG_JSON`, started by a pool.

It hosts an inline pool (the warm isolates, the fetch bridge with its network guard)
and answers the parent's messages (runner.wire) on its stdin/stdout, one request at a
time. V8 starts here, on the first run, never in the parent. Whatever kills this
process (V8 aborting on a huge allocation, the kernel's OOM killer, a signal) kills only
the executions it was running: the parent sees the pipe close and starts a new one.

Frames in: {"op": "compile", "code", "legacy"} (answered {"compiled": error or null,
"idle": n, ...}: runner.pool.compile_error), or {"op": "run", "key", "code",
"invocations": [[request, settings, execution_id, secret_names], ...], "legacy",
"limits"} (limits as Limits.to_dict()),
and during a run {"cached": answer} for each {"cache": {"op", "scope", "key", ...}} the
run sent (its functions' cache.load and cache.delete: the parent keeps the cache).
Frames out: {"ready": pid} once, then per run any number of {"done": [[index, result],
...]} (batches report as they go, so a crash loses only what was not reported) and one
{"results": [[index, result], ...], "idle": n, "rss": bytes, "replace": bool} or
{"raise": [type, message], "idle": n, ...}; each result is Result.to_dict(). `replace`
asks the parent for a fresh sandbox: a function went past the memory budget.

The sandbox's memory has an OS limit (runner/memory.py), set when V8 has started. If
Python itself runs out under it, the process says so on stderr and exits: the parent
treats that as a crash of the sandbox (MemoryLimitError).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from runner import wire
from runner.cache import CacheUnavailable
from runner.limits import Limits
from runner.pool import InlinePool
from runner.result import Invocation, Result


class RemoteCache:
    """The cache of a run, kept by the parent (runner.sandbox.CacheDesk): each
    operation is one frame there and one back, while the run waits. The scope is the
    invocation's place in the frame; the parent knows which source that is."""

    def __init__(self, reader: wire.Reader, out: wire.Writer) -> None:
        self._reader, self._out = reader, out

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self._out.send({"cache": request})
        answer = self._reader.read()["cached"]
        if answer.get("failed"):
            raise CacheUnavailable(answer["note"])
        return answer

    def get(self, scope: str, key: str) -> str | None:
        return self._ask({"op": "get", "scope": scope, "key": key}).get("value")

    def put(self, scope: str, key: str, value: str, ttl_ms: int | None) -> str | None:
        request = {"op": "put", "scope": scope, "key": key, "value": value, "ttl": ttl_ms}
        return self._ask(request).get("note")

    def delete(self, scope: str, key: str) -> None:
        self._ask({"op": "delete", "scope": scope, "key": key})


def _private_pipes() -> tuple[int, int]:
    """The protocol's fds; stdin and stdout are pointed elsewhere so no stray print
    (a library, a warning) can corrupt a frame."""
    inbound, outbound = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return inbound, outbound


def _run(
    pool: InlinePool, message: dict[str, Any], reader: wire.Reader, out: wire.Writer
) -> dict[str, Any]:
    invocations = [
        Invocation(r, s, e, tuple(n), cache_scope=str(place))
        for place, (r, s, e, n) in enumerate(message["invocations"])
    ]
    streamed: set[int] = set()

    def progress(done: list[tuple[int, Result]]) -> None:
        out.send({"done": [[i, r.to_dict()] for i, r in done]})
        streamed.update(i for i, _ in done)

    results = pool.run_batch(
        message["key"],
        message["code"],
        invocations,
        legacy=message["legacy"],
        limits=Limits(**message["limits"]),
        progress=progress if len(invocations) > 1 else None,
        cache=RemoteCache(reader, out),
    )
    rest = [[i, r.to_dict()] for i, r in enumerate(results) if i not in streamed]
    return {"results": rest}


def serve(config: dict[str, Any]) -> None:
    inbound, outbound = _private_pipes()
    pool = InlinePool(**config)
    reader, out = wire.Reader(inbound), wire.Writer(outbound)
    out.send({"ready": os.getpid()})
    while True:
        try:
            message = reader.read()
        except EOFError:
            break  # the parent closed the pool, or died
        try:
            if message.get("op") == "compile":
                answer = {"compiled": pool.compile_error(message["code"], message["legacy"])}
            else:
                answer = _run(pool, message, reader, out)
        except MemoryError:
            raise
        except Exception as exc:  # reported to the caller, who raises it again
            answer = {"raise": [type(exc).__name__, str(exc)]}
        answer.update(pool.health())
        out.send(answer)
    pool.close()


def main() -> None:
    # The parent owns interruption: a Ctrl-C in its terminal must not kill runs here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        serve(json.loads(sys.argv[1]))
    except BrokenPipeError:
        pass  # the parent went away mid-answer
    except MemoryError:
        os.write(2, b"runner sandbox: Python ran out of memory under the sandbox limit\n")
        os._exit(70)


if __name__ == "__main__":
    main()
