"""Sandbox processes: where the isolates of a "process" pool live, supervised.

Some JavaScript makes V8 abort the whole process rather than throw (a 1e9-element
array: "Fatal JavaScript out of memory: invalid table size"); no heap limit stops it.
So the isolates run in child processes (`python -m runner.child`, a fresh interpreter:
nothing forked from a process that has V8 or threads), one execution batch at a time
each, talking JSON messages (runner.wire) over pipes. When a child dies
mid-run, the executions it had not reported get a clear error (MemoryLimitError when V8
said it ran out of memory, SandboxCrashError otherwise) and the next call starts a new
child. The parent also keeps a hard deadline (the time limits plus a margin) and kills
a child that does not answer by then.

Warm isolates stay in their child; a call prefers an idle child that ran the same
version last, so the per-version reuse policy keeps its warm hits.

Memory: each child has an OS limit on its memory (runner/memory.py). After every call it
reports its resident memory; a child past half its budget, or one in which a function
went past the budget, is replaced after the call (its memory may be held by idle
isolates or fragmented). Executions of a batch a limit stopped are run again there, in
a fresh isolate: they are reported as normal results.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runner import wire
from runner.cache import FunctionCache, MemoryCache, cache_answer
from runner.executor import unreadable_input
from runner.limits import Limits
from runner.request import body_text
from runner.result import Invocation, Result, limit_error

logger = logging.getLogger(__name__)

SPAWN_TIMEOUT_S = 30.0
# Beyond the executions' own limits (which the child enforces): isolate creation and
# compile, and a loaded machine. Only a child that is stuck ever reaches it.
HARD_MARGIN_S = 3.0
RERUN_OUT_OF_TIME = (
    "not run: its batch ran out of time, as the sandbox running it stopped and its "
    "executions were run again one at a time, each in a new isolate"
)
STOP_WAIT_S = 2.0
# A compile check: V8 parses in milliseconds; only code that escapes its wrapper and
# loops takes its 5 s, which the child stops itself.
COMPILE_DEADLINE_S = 15.0
COMPILE_STUCK = "the function's code could not be compiled: the sandbox stopped answering"
KEYS_REMEMBERED = 32
# What V8 prints when it aborts on an allocation too large for it (a huge array, a
# string split into too many parts, a dictionary past its biggest table).
# Under the sandbox's memory limit: a C++ allocation (bad_alloc) or Python's.
V8_MEMORY_ABORT = re.compile(
    r"out of memory|invalid (table )?size|bad_alloc|allocation failed", re.IGNORECASE
)
# Of the sandbox's budget: past it in resident memory, the sandbox is replaced.
REPLACE_RESIDENT = 1 / 2
ROOT = str(Path(__file__).resolve().parents[1])


class _Lost(Exception):
    """The child died or stopped answering; `error` is what its executions report."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error


class Sandbox:
    """One child process hosting an inline pool."""

    def __init__(self, config: dict[str, Any], generation: int) -> None:
        self.generation = generation
        self.keys: OrderedDict[str, None] = OrderedDict()  # versions it ran, last is newest
        self.idle = 0
        self.rss = 0
        self.worn = False  # a function went past the memory budget: replace after the call
        self.out_of_memory = False
        self._stderr_tail: deque[str] = deque(maxlen=20)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runner.child", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # a Ctrl-C or a group signal for the host is not for it
        )
        self._stderr_reader = threading.Thread(
            target=self._read_stderr, name="runner-sandbox-stderr", daemon=True
        )
        self._stderr_reader.start()
        # The protocol's ends, owned by the wire objects (Popen's file objects let go).
        self._writer = wire.Writer(os.dup(self.process.stdin.fileno()))
        self._reader = wire.Reader(os.dup(self.process.stdout.fileno()))
        self.process.stdin.close()
        self.process.stdout.close()
        try:
            self._reader.read(time.monotonic() + SPAWN_TIMEOUT_S)
        except (EOFError, wire.Silent):
            self.kill()
            raise RuntimeError(
                "the runner's sandbox process did not start: " + self.stderr_tail()
            ) from None

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(
        self,
        message: dict[str, Any],
        deadline: float,
        results: dict[int, Result],
        cache: CacheDesk,
    ) -> None:
        """Send a run and gather its results into `results` as they are reported,
        answering the cache operations its functions ask for meanwhile."""
        try:
            self._writer.send(message)
            while True:
                answer = self._reader.read(deadline)
                if "cache" in answer:
                    self._writer.send({"cached": cache.answer(answer["cache"])})
                    continue
                for index, data in answer.get("done", answer.get("results", [])):
                    results[index] = Result.from_dict(data)
                if "idle" in answer:
                    self.idle, self.rss = answer["idle"], answer.get("rss", 0)
                    self.worn = bool(answer.get("replace"))
                    self._remember(message["key"])
                    break
        except (EOFError, OSError):
            self.kill()
            raise _Lost(self._crash_error()) from None
        except wire.Silent:
            self.kill()
            raise _Lost(_stuck_error(message["limits"]["timeout_ms"])) from None
        if "raise" in answer:
            kind, text = answer["raise"]
            raise RuntimeError(f"{kind}: {text}")

    def ask(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        """One request answered by one frame (a compile check): no results, no cache."""
        try:
            self._writer.send(message)
            answer = self._reader.read(deadline)
        except (EOFError, OSError):
            self.kill()
            raise _Lost(self._crash_error()) from None
        except wire.Silent:
            self.kill()
            raise _Lost(limit_error("TimeoutError", COMPILE_STUCK)) from None
        self.idle, self.rss = answer.get("idle", self.idle), answer.get("rss", 0)
        self.worn = bool(answer.get("replace"))
        if "raise" in answer:
            kind, text = answer["raise"]
            raise RuntimeError(f"{kind}: {text}")
        return answer

    def _remember(self, key: str) -> None:
        self.keys.pop(key, None)
        self.keys[key] = None
        while len(self.keys) > KEYS_REMEMBERED:
            self.keys.popitem(last=False)

    def stop(self) -> None:
        """End the child gently (EOF on its stdin), then firmly; always reap it."""
        try:
            self._writer.close()
        except OSError:
            pass
        try:
            self.process.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._stderr_reader.join(1.0)
        self._close_pipes()

    def _close_pipes(self) -> None:
        for end in (self._writer, self._reader):
            try:
                end.close()
            except OSError:
                pass

    def _read_stderr(self) -> None:
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if V8_MEMORY_ABORT.search(line):
                self.out_of_memory = True
            if line and not line[0].isspace():  # not a frame of a C stack trace
                self._stderr_tail.append(line)
        self.process.stderr.close()

    def stderr_tail(self) -> str:
        return " | ".join(self._stderr_tail)[-2000:]

    def _crash_error(self) -> dict[str, Any]:
        status = self.process.returncode
        how = f"signal {signal.Signals(-status).name}" if status < 0 else f"exit status {status}"
        logger.warning("runner sandbox %s stopped (%s): %s", self.pid, how, self.stderr_tail())
        if self.out_of_memory:
            return limit_error(
                "MemoryLimitError",
                "the function tried to build something too large for the sandbox (V8 "
                "gave up: out of memory), so the sandbox running it was stopped. Look for "
                "a very large array, string or object built at once.",
            )
        return limit_error(
            "SandboxCrashError",
            f"the sandbox process running the function stopped unexpectedly ({how}). "
            "The next run gets a fresh one. If this repeats for this function, it most "
            "likely uses too much memory (a very large array, string or object).",
        )


def _stuck_error(timeout_ms: int) -> dict[str, Any]:
    return limit_error(
        "TimeoutError",
        f"the function ran far past its {timeout_ms} ms limit and the sandbox running it "
        "stopped answering, so it was stopped",
    )


class CacheDesk:
    """The parent's side of the cache of one sandbox call. The child names an
    invocation by its place in the frame, never a scope: the scopes stay here, so even
    a child whose code escaped V8 reaches only the cache values of its own batch."""

    def __init__(self, cache: FunctionCache, scopes: list[str]) -> None:
        self.cache = cache
        self.scopes = scopes

    def answer(self, request: Any) -> dict[str, Any]:
        place = request.get("scope") if isinstance(request, dict) else None
        if not isinstance(place, str) or not place.isdigit() or int(place) >= len(self.scopes):
            return {"value": None, "note": "a cache operation of no invocation of this batch"}
        return cache_answer(self.cache, self.scopes[int(place)], request)


def _wire_invocation(invocation: Invocation) -> list[Any]:
    """A binary body travels as the text the function reads (runner.request.body_text):
    the sandbox needs nothing else of it."""
    request = invocation.request
    if isinstance(request.get("raw_body"), bytes):
        request = {**request, "raw_body": body_text(request["raw_body"])}
    return [request, invocation.settings, invocation.execution_id, list(invocation.secret_names)]


def _sendable(invocations: Sequence[Invocation], results: dict[int, Result]) -> list[int]:
    """The invocations a frame can carry; one whose settings are not JSON fails alone."""
    try:
        json.dumps([i.settings for i in invocations])
        return list(range(len(invocations)))
    except (TypeError, ValueError, RecursionError):
        pass
    sent = []
    for index, invocation in enumerate(invocations):
        try:
            json.dumps(invocation.settings)
            sent.append(index)
        except (TypeError, ValueError, RecursionError) as exc:
            results[index] = Result(error=unreadable_input(exc))
    return sent


def hard_deadline(count: int, limits: Limits) -> float:
    """When a call of `count` executions is surely stuck: the batch's own worst case
    (Limits.batch_deadline_s) plus the margin."""
    return time.monotonic() + limits.batch_deadline_s(count) + HARD_MARGIN_S


class ProcessPool:
    """Sandbox processes, started on demand up to `max_processes`, each hosting warm
    isolates; a caller thread has one to itself for the length of a call."""

    def __init__(self, config: dict[str, Any], *, max_processes: int) -> None:
        if max_processes < 1:
            raise ValueError("max_processes must be at least 1")
        self.config = config
        self.max_processes = max_processes
        budget = config.get("process_memory_mb")
        self._replace_rss = budget * 1024 * 1024 * REPLACE_RESIDENT if budget else None
        self._idle: list[Sandbox] = []
        self._live: dict[int, Sandbox] = {}
        self._started = 0
        self._generation = 0
        self._changed = threading.Condition()
        self._pid = os.getpid()

    def run_batch(
        self,
        version_key: str,
        code: str,
        invocations: Sequence[Invocation],
        *,
        legacy: bool,
        limits: Limits,
        cache: FunctionCache | None = None,
    ) -> list[Result]:
        results: dict[int, Result] = {}
        sent = _sendable(invocations, results)
        cache = MemoryCache() if cache is None else cache
        desk = CacheDesk(cache, [invocations[i].cache_scope for i in sent])
        message = {
            "key": version_key,
            "code": code,
            "invocations": [_wire_invocation(invocations[i]) for i in sent],
            "legacy": legacy,
            "limits": limits.to_dict(),
        }
        answers: dict[int, Result] = {}
        ends = time.monotonic() + limits.batch_deadline_s(len(sent))
        try:
            if sent:
                self._call(message, hard_deadline(len(sent), limits), answers, desk)
        except _Lost as lost:
            batch = [invocations[i] for i in sent]
            self._blame(version_key, code, batch, legacy, limits, cache, answers, lost, ends)
        results.update((sent[k], result) for k, result in answers.items())
        return [results[i] for i in range(len(invocations))]

    def compile_error(self, code: str, legacy: bool) -> dict[str, Any] | None:
        """The code's SyntaxError, or None: asked of a sandbox, where V8 runs."""
        sandbox = self._checkout("")
        alive = False
        try:
            message = {"op": "compile", "code": code, "legacy": legacy}
            answer = sandbox.ask(message, time.monotonic() + COMPILE_DEADLINE_S)
            alive = True
        except _Lost as lost:
            return lost.error
        except RuntimeError:
            alive = True
            raise
        finally:
            self._checkin(sandbox, alive)
        return answer["compiled"]

    def _blame(
        self,
        key: str,
        code: str,
        invocations: Sequence[Invocation],
        legacy: bool,
        limits: Limits,
        cache: FunctionCache,
        results: dict[int, Result],
        lost: _Lost,
        ends: float,
    ) -> None:
        """After a crash, what the child did not report: if one execution, it is the
        culprit; if several, each runs again alone so only the culprit fails, until the
        batch's time (`ends`: callers size their claims on it) is up."""
        missing = [i for i in range(len(invocations)) if i not in results]
        if len(missing) == 1:
            results[missing[0]] = Result(error=lost.error)
            return
        for index in missing:
            if time.monotonic() >= ends:
                results[index] = Result(error=limit_error("TimeoutError", RERUN_OUT_OF_TIME))
                continue
            results[index] = self.run_batch(
                key, code, [invocations[index]], legacy=legacy, limits=limits, cache=cache
            )[0]

    def _call(
        self, message: dict[str, Any], deadline: float, results: dict[int, Result], desk: CacheDesk
    ) -> None:
        sandbox = self._checkout(message["key"])
        alive = False
        try:
            sandbox.call(message, deadline, results, desk)
            alive = True
        except RuntimeError:
            alive = True  # the child reported an error of the runner; it is still fine
            raise
        finally:
            self._checkin(sandbox, alive)

    def _checkout(self, key: str) -> Sandbox:
        with self._changed:
            self._forget_after_fork()
            while not self._idle and self._started >= self.max_processes:
                self._changed.wait()
            if self._idle:
                # The one that ran this version most recently, else the newest idle one.
                best = max(range(len(self._idle)), key=lambda i: (key in self._idle[i].keys, i))
                return self._idle.pop(best)
            self._started += 1
            generation = self._generation
        try:
            sandbox = Sandbox(self.config, generation)
        except BaseException:
            with self._changed:
                self._started -= 1
                self._changed.notify()
            raise
        with self._changed:
            self._live[sandbox.pid] = sandbox
        return sandbox

    def _checkin(self, sandbox: Sandbox, alive: bool) -> None:
        with self._changed:
            keep = (
                alive
                and not self._worn(sandbox)
                and sandbox.generation == self._generation
                and self._pid == os.getpid()
            )
            if keep:
                self._idle.append(sandbox)
            else:
                self._started -= 1
                self._live.pop(sandbox.pid, None)
            self._changed.notify()
        if not keep:
            sandbox.stop()

    def _worn(self, sandbox: Sandbox) -> bool:
        big = self._replace_rss is not None and sandbox.rss > self._replace_rss
        return sandbox.worn or big

    def _forget_after_fork(self) -> None:
        """A forked copy of the host does not own its parent's sandboxes: start afresh."""
        if self._pid != os.getpid():
            self._pid, self._idle, self._live, self._started = os.getpid(), [], {}, 0

    def idle_count(self) -> int:
        with self._changed:
            return sum(sandbox.idle for sandbox in self._idle)

    def pids(self) -> list[int]:
        with self._changed:
            return list(self._live)

    def close(self) -> None:
        """Stop the idle sandboxes now; busy ones stop when their call ends."""
        with self._changed:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
            for sandbox in idle:
                self._live.pop(sandbox.pid, None)
            self._generation += 1
        for sandbox in idle:
            sandbox.stop()
