"""Warm isolates per function version, and the one-shot `run`.

Isolation: by default (`isolation="process"`) the isolates live in sandbox processes
the pool supervises (runner.sandbox), so a function that makes V8 abort the whole
process (a huge array: "Fatal JavaScript out of memory") loses only its own execution;
the next run gets a fresh sandbox. `isolation="inline"` runs V8 in the calling process
(the benchmark's reference column, and the sandbox process itself).

Reuse policy: an isolate is only ever reused for the same function version (the pool
key is the caller's version key, the code's hash and the interface flag). Built-ins are
locked when an isolate is made (js/src/lockdown.js). Between two executions the runner
deletes the globals a run created and puts back those it replaced; a run that changed
what cannot be put back (RegExp.prototype, non-configurable globals) taints its isolate,
which is then closed. An isolate that hit a limit (time,
memory) is closed too. Idle isolates are bounded by count and by heap size; the least
recently used go first.

Threads: the pool is thread-safe; an isolate is checked out by one thread at a time, so
two threads running the same version get two isolates.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from runner.cache import FunctionCache
from runner.compiler import compiled, install
from runner.engine import Isolate, named_libraries
from runner.executor import CompileError, run_batch
from runner.limits import DEFAULT_LIMITS, Limits
from runner.memory import ProcessMemory
from runner.netguard import OwnWebhooks
from runner.request import normalize_request
from runner.result import Invocation, Result
from runner.sandbox import ProcessPool

MAX_TIMEOUT_MS = Limits.bounds("timeout_ms")[1]
# Per sandbox process, beyond a started V8 (about 570 MB of address space, 85 MB
# resident, not counted): a sandbox with 8 warm isolates uses about 150 MB of it.
SANDBOX_MEMORY_MB = 1024
MIN_SANDBOX_MEMORY_MB = 128
HEAP_CHECK_EVERY = 16
ISOLATIONS = ("process", "inline")


def call_limits(default: Limits, limits: Limits | None, timeout_ms: int | None) -> Limits:
    """The limits of one call: `limits`, else the pool's; `timeout_ms` (the argument
    callers used before Limits existed) replaces the time limit. LimitError when out
    of range."""
    chosen = default if limits is None else limits
    if not isinstance(chosen, Limits):
        raise TypeError(f"limits must be a runner.Limits, not {type(chosen).__name__}")
    return chosen if timeout_ms is None else replace(chosen, timeout_ms=timeout_ms)


class InlinePool:
    """Warm isolates per function version in this process, least recently used evicted.

    `process_memory_mb` is for the sandbox process only: it puts an OS limit on this
    whole process (runner/memory.py) once V8 has started, and counts it after every
    V8 call.
    """

    def __init__(
        self,
        *,
        max_isolates: int = 8,
        max_memory_mb: int = 512,
        heap_limit_mb: int = DEFAULT_LIMITS.heap_mb,
        allow_private_network: bool = False,
        process_memory_mb: int | None = None,
        own_webhook_urls: Sequence[str] = (),
    ) -> None:
        self.max_isolates = max_isolates
        self.max_memory_bytes = max_memory_mb * 1024 * 1024
        self.limits = replace(DEFAULT_LIMITS, heap_mb=heap_limit_mb)
        self.allow_private_network = allow_private_network
        self.own_webhooks = OwnWebhooks(own_webhook_urls) if own_webhook_urls else None
        self.memory = ProcessMemory(process_memory_mb * 1024 * 1024) if process_memory_mb else None
        self._idle: OrderedDict[int, tuple[tuple, Isolate]] = OrderedDict()
        self._heap: dict[int, int] = {}
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def run_batch(
        self,
        version_key: str,
        code: str,
        invocations: Sequence[Invocation],
        *,
        legacy: bool = False,
        limits: Limits | None = None,
        timeout_ms: int | None = None,
        progress: Callable[[list[tuple[int, Result]]], None] | None = None,
        cache: FunctionCache | None = None,
    ) -> list[Result]:
        """Run many queued requests of one version, in as few V8 calls as possible."""
        limits = call_limits(self.limits, limits, timeout_ms)
        # An isolate's heap is fixed when it is made: a call with another heap limit
        # gets isolates of its own.
        key = (version_key, hashlib.sha256(code.encode()).hexdigest(), legacy, limits.heap_mb)
        return run_batch(
            lambda: self._checkout(key, code, legacy),
            lambda iso, ok: self._checkin(key, iso, ok),
            invocations,
            code=code,
            legacy=legacy,
            limits=limits,
            allow_private_network=self.allow_private_network,
            progress=progress,
            memory=self.memory,
            cache=cache,
            own_webhooks=self.own_webhooks,
        )

    def idle_count(self) -> int:
        with self._lock:
            return len(self._idle)

    def health(self) -> dict[str, Any]:
        """What the sandbox's parent needs after a call: warm isolates, resident memory,
        and whether a function went past the memory budget (then it wants replacing)."""
        memory = self.memory
        return {
            "idle": self.idle_count(),
            "rss": memory.resident() if memory else 0,
            "replace": bool(memory and memory.exceeded),
        }

    def close(self) -> None:
        with self._lock:
            idle, self._idle = list(self._idle.values()), OrderedDict()
        for _, isolate in idle:
            isolate.close()

    def _checkout(self, key: tuple, code: str, legacy: bool) -> Isolate:
        if os.getpid() != self._pid:
            raise RuntimeError(
                "an IsolatePool cannot cross a fork: create it in the process that runs code"
            )
        with self._lock:
            for ident in reversed(self._idle):
                if self._idle[ident][0] == key:
                    self._heap.pop(ident, None)
                    return self._idle.pop(ident)[1]
        return self._new_isolate(code, legacy, key[3])

    def _new_isolate(self, code: str, legacy: bool, heap_mb: int) -> Isolate:
        isolate = Isolate(max_memory_bytes=heap_mb * 1024 * 1024, libraries=named_libraries(code))
        if self.memory is not None:
            self.memory.start()  # V8 has started: the limit counts from here
        try:
            install(isolate, code, legacy)
        except CompileError:
            isolate.close()
            raise
        return isolate

    def compile_error(self, code: str, legacy: bool) -> dict[str, Any] | None:
        """The SyntaxError of the code (at the user's line and column), or None when
        it compiles. Nothing of it runs."""
        isolate = Isolate(max_memory_bytes=self.limits.heap_mb * 1024 * 1024)
        try:
            compiled(isolate, code, legacy)
        except CompileError as exc:
            return exc.error
        finally:
            isolate.close()
        return None

    def _checkin(self, key: tuple, isolate: Isolate, reusable: bool) -> None:
        isolate.runs += 1
        if not reusable or isolate.closed or self.max_isolates == 0:
            isolate.close()
            return
        if self.memory is not None and self.memory.heavy():
            # Buffers of finished runs are freed only when V8 collects; an idle isolate
            # may not for a long while, and holds them against the next runs.
            isolate.collect_garbage()
        heap = isolate.heap_used_bytes() if isolate.runs % HEAP_CHECK_EVERY == 1 else None
        with self._lock:
            ident = id(isolate)
            self._idle[ident] = (key, isolate)
            if heap is not None:
                self._heap[ident] = heap
            evicted = self._evict()
        for old in evicted:
            old.close()

    def _evict(self) -> list[Isolate]:
        evicted = []
        while self._idle and (
            len(self._idle) > self.max_isolates or sum(self._heap.values()) > self.max_memory_bytes
        ):
            ident, (_, isolate) = self._idle.popitem(last=False)
            self._heap.pop(ident, None)
            evicted.append(isolate)
        return evicted


class IsolatePool:
    """Warm isolates per function version, in sandbox processes (or inline)."""

    def __init__(
        self,
        *,
        max_isolates: int = 8,
        max_memory_mb: int = 512,
        limits: Limits | None = None,
        heap_limit_mb: int | None = None,
        allow_private_network: bool = False,
        isolation: str = "process",
        max_processes: int = 4,
        sandbox_memory_mb: int = SANDBOX_MEMORY_MB,
        own_webhook_urls: Sequence[str] = (),
    ) -> None:
        """Bounds on isolates and memory hold per process that runs code (each sandbox
        process of a "process" pool keeps its own warm isolates); `max_processes` caps
        the sandboxes, hence the executions that run at the same time. `limits` are
        those of a call that gives none (`heap_limit_mb`, the older argument, replaces
        their heap).

        `sandbox_memory_mb` is the memory each sandbox process may use beyond a freshly
        started V8, ArrayBuffers and WebAssembly memory included (an OS limit, see
        runner/memory.py); a function past it fails with MemoryLimitError and its
        sandbox is replaced. An "inline" pool has no such limit: it would bind the
        caller's own process.

        `own_webhook_urls`: URL prefixes of the product's own webhooks (for instance
        "https://hooks.example.com/hooks/"), which fetch refuses (runner.netguard)."""
        if isolation not in ISOLATIONS:
            raise ValueError(f"isolation must be one of {ISOLATIONS}")
        if sandbox_memory_mb < MIN_SANDBOX_MEMORY_MB:
            raise ValueError(f"sandbox_memory_mb must be at least {MIN_SANDBOX_MEMORY_MB}")
        self.isolation = isolation
        self.allow_private_network = allow_private_network
        self.limits = call_limits(DEFAULT_LIMITS, limits, None)
        if heap_limit_mb is not None:
            self.limits = replace(self.limits, heap_mb=heap_limit_mb)
        config: dict[str, Any] = {
            "max_isolates": max_isolates,
            "max_memory_mb": max_memory_mb,
            "heap_limit_mb": self.limits.heap_mb,
            "allow_private_network": allow_private_network,
            "own_webhook_urls": list(own_webhook_urls),
        }
        self._backend: InlinePool | ProcessPool = (
            InlinePool(**config)
            if isolation == "inline"
            else ProcessPool(
                {**config, "process_memory_mb": sandbox_memory_mb}, max_processes=max_processes
            )
        )

    def run(
        self,
        version_key: str,
        code: str,
        request: dict[str, Any],
        settings: dict[str, Any] | None = None,
        *,
        legacy: bool = False,
        limits: Limits | None = None,
        timeout_ms: int | None = None,
        execution_id: str | None = None,
        secret_names: Sequence[str] = (),
        cache: FunctionCache | None = None,
        cache_scope: str = "",
    ) -> Result:
        """Run one request (either accepted form) through a version of a function.
        The values of the settings named in `secret_names` never appear in what the
        result records (see runner.redact). `cache` (an empty one when None) keeps what
        `cache.load` stores, under `cache_scope`."""
        limits = call_limits(self.limits, limits, timeout_ms)
        invocation = Invocation(
            normalize_request(request, max_bytes=limits.request_bytes),
            settings or {},
            execution_id,
            tuple(secret_names),
            cache_scope,
        )
        return self.run_batch(
            version_key, code, [invocation], legacy=legacy, limits=limits, cache=cache
        )[0]

    def run_batch(
        self,
        version_key: str,
        code: str,
        invocations: Sequence[Invocation],
        *,
        legacy: bool = False,
        limits: Limits | None = None,
        timeout_ms: int | None = None,
        cache: FunctionCache | None = None,
    ) -> list[Result]:
        """Run many queued requests of one version, in as few V8 calls as possible.

        Each invocation's request must already be normalised (runner.normalize_request).
        `cache` is the store of `cache.load`, values kept per invocation's cache scope;
        None gives the batch an empty one of its own (runner.cache).
        """
        limits = call_limits(self.limits, limits, timeout_ms)
        return self._backend.run_batch(
            version_key, code, invocations, legacy=legacy, limits=limits, cache=cache
        )

    def compile_error(self, code: str, *, legacy: bool = False) -> dict[str, Any] | None:
        """The code's SyntaxError, `{"name", "message", "stack", "line", "column"}` at the
        user's own line and column, or None when it compiles (in a sandbox process for
        a "process" pool). Nothing of the code runs."""
        return self._backend.compile_error(code, legacy)

    def idle_count(self) -> int:
        """Warm isolates kept (in the idle sandbox processes, for a "process" pool)."""
        return self._backend.idle_count()

    def sandbox_pids(self) -> list[int]:
        """Process ids of the live sandbox processes (none for an inline pool)."""
        return [] if isinstance(self._backend, InlinePool) else self._backend.pids()

    def close(self) -> None:
        """Drop the warm isolates and stop the sandbox processes (waiting for them)."""
        self._backend.close()


_one_shots: dict[tuple[bool, tuple[str, ...]], IsolatePool] = {}
_one_shots_lock = threading.Lock()


def _one_shot(allow_private_network: bool, own_webhook_urls: Sequence[str]) -> IsolatePool:
    key = (allow_private_network, tuple(own_webhook_urls))
    with _one_shots_lock:
        if key not in _one_shots:
            _one_shots[key] = IsolatePool(
                max_isolates=0,
                allow_private_network=allow_private_network,
                own_webhook_urls=key[1],
            )
        return _one_shots[key]


def compile_error(code: str, *, legacy: bool = False) -> dict[str, Any] | None:
    """The SyntaxError of a function's code at its own line and column, as a run would
    report it, or None when it compiles. Nothing of the code runs, and V8 is started
    only in a sandbox process: this may be called from any process."""
    return _one_shot(False, ()).compile_error(code, legacy=legacy)


def run(
    code: str,
    request: dict[str, Any],
    settings: dict[str, Any] | None = None,
    *,
    legacy: bool = False,
    limits: Limits | None = None,
    timeout_ms: int | None = None,
    execution_id: str | None = None,
    allow_private_network: bool = False,
    secret_names: Sequence[str] = (),
    own_webhook_urls: Sequence[str] = (),
) -> Result:
    """Run a function once on a request (either accepted form) in a fresh isolate,
    with an empty cache. `own_webhook_urls`: as for IsolatePool, refused by fetch."""
    pool = _one_shot(allow_private_network, own_webhook_urls)
    return pool.run(
        "one-shot",
        code,
        request,
        settings,
        legacy=legacy,
        limits=limits,
        timeout_ms=timeout_ms,
        execution_id=execution_id,
        secret_names=secret_names,
    )
