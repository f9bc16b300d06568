"""Drives a batch of executions of one function version through an isolate.

The protocol (see js/src/runtime.js): a *kick* (`start`, `step`, `abort`) lets V8 run,
then `collect` (evaluated after V8 drained its microtasks) reports finished executions
and what the current one waits for. Python performs the fetches, sleeps until the next
timer, and kicks again. Every kick and collect has a time budget; one that overruns
closes the isolate (which stops any JavaScript, even a runaway microtask).

Batching: several executions may run in one kick (up to a 20 ms slice), which is what
makes many queued requests cheap. When a kick that ran several executions is killed by
a limit, the culprit is unknown: the unreported executions are run again in a fresh
isolate one per kick, so exactly the guilty one gets TimeoutError/MemoryLimitError.
Executions that had waited on fetches always report before anything else starts, so a
re-run never repeats network calls.

Memory outside the V8 heap (ArrayBuffers, WebAssembly memories) counts against the
sandbox process's budget (runner/memory.py). After every V8 call the process's size is
read; near the limit, the isolate's garbage is collected, and if that does not help,
what the kick ran is stopped as for the heap limit (MemoryLimitError for the culprit,
the others run again in a fresh isolate) and the sandbox asks to be replaced. An
allocation the OS refused ("RangeError: Array buffer allocation failed", uncaught) is a
MemoryLimitError too.

Every batch has a deadline of its own (each execution's limit twice over, plus a
margin), and a kick that starts nothing while executions are left is the runtime stuck:
neither can keep the driver spinning. Making isolates again (after runs that left theirs
unusable) counts too: what is left when the batch's time is up is not run.

A function may break what the runner's own JavaScript relies on (a global it replaces,
such as Date; the built-ins are locked). Then the runtime may lose a report, throw, or
report nonsense: the execution that was
running gets RunnerError and the isolate is dropped, never re-run in a loop (an unknown
culprit in a batch is found as for the limits, one execution per kick).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.cache import FunctionCache, MemoryCache, cache_answer
from runner.engine import EngineError, Isolate, IsolateOutOfMemory, IsolateTimeout
from runner.fetch import FetchSession, OwnWebhooks, recorded_url
from runner.limits import Limits
from runner.memory import ProcessMemory
from runner.redact import Redactor, redactor, shown_error
from runner.request import body_text, query_parameters
from runner.response import ResponseLimitError, checked_response
from runner.result import Invocation, Result, fill_message_ids, limit_error, user_error

SLICE_MS = 20
GRACE_S = 0.05
# Code with loop guards stops itself at its limit, with the loop's line (runner.loops):
# on a loaded machine its report may need longer than GRACE_S to come back, and a kill
# would lose the line. A stuck guarded isolate is closed this much later.
GUARDED_GRACE_S = 0.1
BATCH_MARGIN_S = 1.0
DAMAGED = (
    "the function damaged the runtime (a global it replaced, such as Date) and its result was lost"
)
KILLED_MESSAGES = {
    "MemoryLimitError": "the function used more memory than its heap limit",
    "RunnerError": DAMAGED,
}
SANDBOX_MEMORY = (
    "the function used more memory than its sandbox allows ({mb} MB, buffers and "
    "WebAssembly memory included); look for large ArrayBuffers, typed arrays or Buffers "
    "built at once or kept in a list"
)
# What V8 throws when the OS refuses the memory of a buffer (not a length it rejects).
_ALLOCATION_REFUSED = re.compile(
    r"^(Array buffer allocation failed|WebAssembly\.Memory\(\): could not allocate memory|"
    r"WebAssembly\.Memory\.grow\(\): Unable to grow instance memory)"
)
CACHE_OPERATIONS = 1000
CACHE_OPERATIONS_CAP = (
    f"over {CACHE_OPERATIONS:,} cache operations in one execution: the later ones are not "
    "done (a load calls its fn, nothing is stored)"
)
OUT_OF_TIME = (
    "not run: its batch ran out of time, as the runs before it each left their isolate "
    "unusable (a time or memory limit reached, or RegExp.prototype, Error or a global "
    "changed in a way that cannot be put back) and each needed a new isolate, made with "
    "the libraries the function names"
)
UNREADABLE_INPUT = (
    "the runner could not hand this request and its settings to the function "
    "(they are not plain JSON: {reason})"
)


class CompileError(Exception):
    """The function's code does not parse; carries the mapped SyntaxError."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error


@dataclass
class _Batch:
    invocations: Sequence[Invocation]
    code: str
    legacy: bool
    limits: Limits
    allow_private_network: bool
    memory: ProcessMemory | None = None
    cache: FunctionCache = field(default_factory=MemoryCache)
    own_webhooks: OwnWebhooks | None = None
    cache_operations: dict[int, int] = field(default_factory=dict)  # per execution
    results: dict[int, Result] = field(default_factory=dict)
    sessions: dict[int, FetchSession] = field(default_factory=dict)
    items: dict[int, str] = field(default_factory=dict)
    careful: bool = False
    columns: Any = None  # the loop guards of the isolate's code (runner.loops.ColumnMap)
    progress: Callable[[list[tuple[int, Result]]], None] | None = None
    # Per settings object and secret names: the executions of one source share both.
    redactors: dict[tuple[int, tuple[str, ...]], Redactor | None] = field(default_factory=dict)

    @property
    def timeout_s(self) -> float:
        return self.limits.timeout_ms / 1000

    def unreported(self) -> list[int]:
        return [i for i in range(len(self.invocations)) if i not in self.results]


class _Killed(Exception):
    """The kick could not finish: a limit, or the runtime damaged (`RunnerError`)."""

    def __init__(self, name: str, index: int | None, message: str | None = None) -> None:
        self.name = name
        self.index = index
        self.message = message


def run_batch(
    acquire: Callable[[], Isolate],
    release: Callable[[Isolate, bool], None],
    invocations: Sequence[Invocation],
    *,
    code: str,
    legacy: bool,
    limits: Limits,
    allow_private_network: bool,
    progress: Callable[[list[tuple[int, Result]]], None] | None = None,
    memory: ProcessMemory | None = None,
    cache: FunctionCache | None = None,
    own_webhooks: OwnWebhooks | None = None,
) -> list[Result]:
    """Run every invocation; `acquire` gives an isolate with the code installed.

    `progress`, when given, is told the results each V8 call finished, as they come.
    `memory`, in a sandbox process, is the process's memory budget. `cache` keeps what
    the functions' `cache.load` stores, per invocation's cache scope (an empty one of
    this batch's own when None). `own_webhooks`: the product's webhook URLs, which
    fetch refuses.
    """
    batch = _Batch(invocations, code, legacy, limits, allow_private_network, memory)
    batch.progress = progress
    batch.own_webhooks = own_webhooks
    if cache is not None:
        batch.cache = cache
    batch.careful = len(invocations) == 1
    for index in range(len(invocations)):
        _prepare_item(batch, index)
    # Making an isolate is not counted in any execution's time (the libraries a function
    # names take up to ~2 s to compile), yet callers size their deadlines and claims on
    # Limits.batch_deadline_s: a batch whose every run leaves its isolate unusable must
    # still end by then.
    ends, first = time.monotonic() + limits.batch_deadline_s(len(invocations)), True
    while batch.unreported():
        if not first and time.monotonic() >= ends:
            for index in batch.unreported():
                error = limit_error("TimeoutError", OUT_OF_TIME)
                batch.results[index] = _result(batch, index, {"error": error, "logs": []})
            break
        first = False
        try:
            isolate = acquire()
        except CompileError as exc:
            for index in batch.unreported():
                batch.results[index] = Result(error=exc.error)
            break
        batch.columns = getattr(isolate, "loop_columns", None)
        reusable = _drive(isolate, batch, batch.unreported())
        release(isolate, reusable)
    for session in batch.sessions.values():
        session.close()
    return [batch.results[i] for i in range(len(invocations))]


def _drive(isolate: Isolate, batch: _Batch, indices: list[int]) -> bool:
    """Run the given executions until done; False when the isolate must not be reused."""
    try:
        return _steps(isolate, batch, indices)
    except _Killed as killed:
        _blame(batch, indices, killed)
        return False


def _blame(batch: _Batch, indices: list[int], killed: _Killed) -> None:
    if killed.index is None and batch.careful:
        killed.index = next(i for i in indices if i not in batch.results)
    if killed.index is None:
        batch.careful = True  # find the culprit one execution per kick
        return
    index = killed.index
    message = killed.message or KILLED_MESSAGES.get(
        killed.name, f"the function ran longer than its {batch.timeout_s * 1000:.0f} ms limit"
    )
    batch.results[index] = _result(
        batch, index, {"error": limit_error(killed.name, message), "logs": []}
    )


def _steps(isolate: Isolate, batch: _Batch, indices: list[int]) -> bool:
    kick = ("start", _start_spec(batch, indices))
    deadline = time.monotonic() + BATCH_MARGIN_S + len(indices) * 2 * _kick_budget(batch)
    budget, waiting_for, started = _kick_budget(batch), None, 0
    while True:
        grace = GRACE_S + (GUARDED_GRACE_S if batch.columns is not None else 0.0)
        state = _kick_and_collect(isolate, kick, budget + grace, waiting_for, len(indices))
        _check_memory(isolate, batch, state, indices, waiting_for)
        finished = _record(batch, indices, state)
        if state["tainted"] or state["finished"]:
            return _all_reported(batch, indices[: state["started"]]) and not state["tainted"]
        _check_progress(isolate, deadline, kick, state, started, finished, waiting_for)
        started, current = state["started"], state["current"]
        if current is None:
            kick, budget, waiting_for = ("step", "[]"), _kick_budget(batch), None
            continue
        waiting_for = indices[current["index"]]
        kick, budget = _wait(batch, waiting_for, current)


def _kick_budget(batch: _Batch) -> float:
    return batch.timeout_s + SLICE_MS / 1000


def _start_spec(batch: _Batch, indices: list[int]) -> str:
    """The batch as `start` reads it, from each execution's JSON and a fresh seed."""
    # One read of the system's random source for the whole kick: 16 bytes per execution,
    # as secrets.token_hex(16) would give each, at a fraction of the cost.
    seeds = os.urandom(16 * len(indices)).hex()
    items = ",".join(
        f'{batch.items[i][:-1]},"seed":"{seeds[32 * k : 32 * k + 32]}"}}'
        for k, i in enumerate(indices)
    )
    max_starts = 1 if batch.careful else 1_000_000
    caps = json.dumps(batch.limits.output_caps())
    return (
        f'{{"items":[{items}],"sliceMs":{SLICE_MS},"maxStarts":{max_starts},"limits":{caps},'
        f'"timeoutMs":{batch.limits.timeout_ms}}}'
    )


def _record(batch: _Batch, indices: list[int], state: dict[str, Any]) -> list[tuple[int, Result]]:
    finished = []
    for done in state["done"]:
        index = indices[done["index"]]
        batch.results[index] = _result(batch, index, done)
        finished.append((index, batch.results[index]))
    if finished and batch.progress is not None:
        batch.progress(finished)
    return finished


def _check_progress(
    isolate: Isolate,
    deadline: float,
    kick: tuple[str, str],
    state: dict[str, Any],
    started: int,
    finished: list,
    waiting_for: int | None,
) -> None:
    """A kick that ran nothing while executions are left, or a batch past its deadline:
    the runtime is stuck (only a damaged one can be), so stop instead of spinning."""
    idle = kick == ("step", "[]") and state["current"] is None
    stuck = idle and not finished and state["started"] == started
    if stuck or time.monotonic() > deadline:
        isolate.close()
        raise _Killed("RunnerError", waiting_for)


def _check_memory(
    isolate: Isolate,
    batch: _Batch,
    state: dict[str, Any],
    indices: list[int],
    waiting_for: int | None,
) -> None:
    """Past the sandbox's budget even after a garbage collection: stop what the kick ran.
    The culprit is the execution the kick resumed, or the only one it ran; else unknown,
    and the executions run again one per kick."""
    memory = batch.memory
    if memory is None or not memory.near_limit():
        return
    isolate.collect_garbage()
    if not memory.near_limit():
        return
    memory.exceeded = True
    isolate.close()
    involved = {indices[done["index"]] for done in state["done"]}
    if state["current"] is not None:
        involved.add(indices[state["current"]["index"]])
    culprit = waiting_for
    if culprit is None and len(involved) == 1:
        culprit = involved.pop()
    raise _Killed("MemoryLimitError", culprit, _sandbox_memory_message(memory))


def _sandbox_memory_message(memory: ProcessMemory) -> str:
    return SANDBOX_MEMORY.format(mb=memory.budget // (1024 * 1024))


def _all_reported(batch: _Batch, started: list[int]) -> bool:
    """A function that broke the runtime itself may lose its report: fail it, drop the isolate."""
    missing = [i for i in started if i not in batch.results]
    for index in missing:
        error = limit_error("RunnerError", DAMAGED)
        batch.results[index] = _result(batch, index, {"error": error, "logs": []})
    return not missing


def _kick_and_collect(
    isolate: Isolate, kick: tuple[str, str], budget: float, waiting_for: int | None, count: int
) -> dict[str, Any]:
    deadline = time.monotonic() + budget
    name, payload = kick
    try:
        isolate.call(name, payload, timeout_s=deadline - time.monotonic())
        answer = isolate.call("collect", timeout_s=deadline - time.monotonic())
    except IsolateTimeout:
        raise _Killed("TimeoutError", waiting_for) from None
    except IsolateOutOfMemory:
        raise _Killed("MemoryLimitError", waiting_for) from None
    except EngineError:
        # The runner's own script threw: only a built-in the function replaced does that.
        raise _Killed("RunnerError", waiting_for) from None
    if isolate.memory_limit_reached():
        isolate.close()
        raise _Killed("MemoryLimitError", waiting_for)
    state = _checked_state(answer, count)
    if state is None:
        raise _Killed("RunnerError", waiting_for)
    return state


def _checked_state(answer: Any, count: int) -> dict[str, Any] | None:
    """The collected state, or None when it is not what the runtime writes."""
    try:
        state = json.loads(answer)
        valid = (
            isinstance(state["done"], list)
            and all(_valid_report(done, count) for done in state["done"])
            and (state["current"] is None or _valid_current(state["current"], count))
            and isinstance(state["finished"], bool)
            and isinstance(state["tainted"], bool)
            and isinstance(state["started"], int)
        )
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    return state if valid else None


def _valid_report(done: Any, count: int) -> bool:
    error = done["error"]
    return (
        isinstance(done["index"], int)
        and 0 <= done["index"] < count
        and isinstance(done["events"], list)
        and isinstance(done["objects"], list)
        and isinstance(done["logs"], list)
        and isinstance(done.get("cache", []), list)
        and (error is None or isinstance(error.get("message"), str))
        and (done.get("response") is None or isinstance(done["response"], dict))
    )


def _valid_current(current: Any, count: int) -> bool:
    return (
        isinstance(current["index"], int)
        and 0 <= current["index"] < count
        and isinstance(current["outbox"], list)
        and all(isinstance(message, dict) for message in current["outbox"])
        and isinstance(current["elapsedMs"], int | float)
    )


def _wait(batch: _Batch, index: int, current: dict[str, Any]) -> tuple[str, float]:
    """Perform the fetches and sleep until something is ready; return the next kick."""
    exec_deadline = time.monotonic() - current["elapsedMs"] / 1000 + batch.timeout_s
    session = batch.sessions.get(index)
    if session is None:
        session = batch.sessions[index] = FetchSession(
            deadline=exec_deadline,
            allow_private_network=batch.allow_private_network,
            max_calls=batch.limits.fetch_calls,
            own_webhooks=batch.own_webhooks,
        )
    futures = session.in_flight + [_submit(batch, index, session, m) for m in current["outbox"]]
    timer = current["nextTimerMs"]
    if not futures and timer is None:
        return _abort(
            batch, "the function's promise never settles: nothing is pending (no timer, no fetch)"
        )
    wake = exec_deadline if timer is None else min(exec_deadline, time.monotonic() + timer / 1000)
    if futures:
        concurrent.futures.wait(
            futures,
            timeout=max(0, wake - time.monotonic()),
            return_when=concurrent.futures.FIRST_COMPLETED,
        )
    else:
        time.sleep(max(0.0, wake - time.monotonic()))
    if time.monotonic() >= exec_deadline:
        return _abort(
            batch, f"the function ran longer than its {batch.timeout_s * 1000:.0f} ms limit"
        )
    answers = [f.result() for f in futures if f.done()]
    session.in_flight = [f for f in futures if not f.done()]
    return ("step", json.dumps(answers)), max(0.001, exec_deadline - time.monotonic())


def _submit(
    batch: _Batch, index: int, session: FetchSession, message: dict[str, Any]
) -> concurrent.futures.Future[dict[str, Any]]:
    """A fetch goes to the network; a cache operation is answered at once, in the order
    the function asked, so its next step sees it done."""
    if "cache" not in message:
        return session.submit(message)
    answer = _cache_operation(batch, index, message["cache"])
    future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
    future.set_result({**answer, "id": message.get("id"), "cache": True})
    return future


def _store_unsent(batch: _Batch, index: int, done: dict[str, Any]) -> None:
    """The cache writes an execution left unsent when it ended (`cache.delete` not
    awaited): done now, before any later execution of the batch asks the cache."""
    for operation in done.get("cache") or []:
        _cache_operation(batch, index, operation)


def _cache_operation(batch: _Batch, index: int, operation: Any) -> dict[str, Any]:
    """One cache operation of an execution, within its cap: a loop of them must not
    hammer a store every worker shares (past the cap, a load is a miss, said once)."""
    count = batch.cache_operations[index] = batch.cache_operations.get(index, 0) + 1
    if count > CACHE_OPERATIONS:
        return {
            "value": None,
            "note": CACHE_OPERATIONS_CAP if count == CACHE_OPERATIONS + 1 else None,
        }
    return cache_answer(batch.cache, batch.invocations[index].cache_scope, operation)


def _abort(batch: _Batch, message: str) -> tuple[tuple[str, str], float]:
    return ("abort", message), _kick_budget(batch)


def _prepare_item(batch: _Batch, index: int) -> None:
    """The execution's request and settings as JSON, once: an input that cannot be
    written fails its own execution only."""
    invocation = batch.invocations[index]
    request = invocation.request
    try:
        spec = {
            "method": request["method"],
            "url": request["url"],
            "headers": request["headers"],
            "rawBody": body_text(request["raw_body"]),
        }
        if batch.legacy:
            spec["query"] = query_parameters(request["url"])
        item = {"request": spec, "settings": invocation.settings}
        batch.items[index] = json.dumps(item, allow_nan=False)
    except (TypeError, ValueError, KeyError, RecursionError) as exc:
        batch.results[index] = Result(error=unreadable_input(exc))


def unreadable_input(exc: Exception) -> dict[str, Any]:
    """The error of an execution whose request or settings cannot be written as JSON."""
    if isinstance(exc, KeyError):
        reason = f"the request has no {exc}"
    elif isinstance(exc, RecursionError):
        reason = "they nest too deeply"
    else:
        reason = str(exc)[:200]
    return limit_error("RequestFormatError", UNREADABLE_INPUT.format(reason=reason))


def _result(batch: _Batch, index: int, done: dict[str, Any]) -> Result:
    """The Result of a report: every execution's output passes here, and only here are
    the secrets of its settings taken out of what it recorded and its error cut to size."""
    invocation = batch.invocations[index]
    _store_unsent(batch, index, done)
    found = _redactor(batch, invocation) if invocation.secret_names else None
    session = batch.sessions.pop(index, None)
    if session is not None:
        session.close()
    done, response = _response(done)
    result = Result(
        events=done.get("events", []),
        objects=done.get("objects", []),
        logs=done.get("logs", []),
        fetches=session.fetch_records(found.url if found else recorded_url) if session else [],
        duration_ms=float(done.get("durationMs", 0)),
        response=response,
    )
    if done.get("error"):
        error = done["error"]
        memory = batch.memory
        if memory is not None and _allocation_refused(error):
            memory.exceeded = True
            error = limit_error("MemoryLimitError", _sandbox_memory_message(memory))
        elif "line" not in error:
            error = user_error(error, legacy=batch.legacy, code=batch.code, columns=batch.columns)
        result.error, result.events, result.objects = shown_error(error, found), [], []
    fill_message_ids(result.events, invocation.execution_id)
    if found is not None:
        found.result(result)
    return result


def _response(done: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The report and the response for the sender it holds, within its limits: past one
    (runner.response), the execution fails with OutputLimitError instead."""
    if done.get("error") or done.get("response") is None:
        return done, None
    try:
        return done, checked_response(done["response"])
    except ResponseLimitError as exc:
        return {**done, "error": limit_error("OutputLimitError", str(exc))}, None
    except ValueError:  # not what the runtime writes: a function damaged it
        return {**done, "error": limit_error("RunnerError", DAMAGED)}, None


def _redactor(batch: _Batch, invocation: Invocation) -> Redactor | None:
    # Keyed by identity: the batch holds its invocations, so no id is reused meanwhile.
    key = (id(invocation.settings), invocation.secret_names)
    if key not in batch.redactors:
        batch.redactors[key] = redactor(invocation.settings, invocation.secret_names)
    return batch.redactors[key]


def _allocation_refused(error: dict[str, Any]) -> bool:
    """The OS refused a buffer's memory under the sandbox's limit, and the function did
    not catch it: that is the memory limit, not a bug of the function's."""
    return error.get("name") == "RangeError" and bool(
        _ALLOCATION_REFUSED.match(str(error.get("message", "")))
    )
