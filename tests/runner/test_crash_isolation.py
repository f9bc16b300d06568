# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Functions that make V8 abort the whole process: only their sandbox process dies.

The default pool runs isolates in supervised child processes; these tests check that a
crash, a kill from outside or a hang gives the execution a clear error, that the host
and the next run are fine, and that no process is left behind.
"""

import os
import signal
import threading
import time

import pytest

from runner import Invocation, IsolatePool, normalize_request, run

REQ = {"body": {"n": 1}}
OK = "async function onRequest(request) { Segment.track({ userId: 'u', event: 'ok', properties: request.json() }) }"
# V8 grows a dictionary for the array until it aborts: "invalid table size".
ARRAY_BOMB = "async function onRequest() { new Array(1e9).fill(0) }"
# Splitting a 512 MB string: "Fatal JavaScript invalid size error".
SPLIT_BOMB = "async function onRequest() { 'x'.repeat(2 ** 29 - 30).split('') }"
MEMORY_ERRORS = {"MemoryLimitError", "SandboxCrashError"}


@pytest.fixture
def sandboxed():
    pool = IsolatePool(max_isolates=4)
    yield pool
    pool.close()


def gone(pid: int) -> bool:
    """Neither running nor a zombie (a reaped child has no /proc entry)."""
    return not os.path.exists(f"/proc/{pid}")


def assert_clear(error: dict) -> None:
    assert error["message"] and "sandbox" in error["message"]
    assert error["line"] is None


@pytest.mark.slow  # V8 takes ~20 s to grow the array until it aborts
def test_the_array_bomb_kills_only_its_sandbox(sandboxed):
    assert sandboxed.run("other", OK, REQ).error is None  # a warm isolate of another version
    first_child = sandboxed.sandbox_pids()
    result = sandboxed.run("bomb", ARRAY_BOMB, REQ, timeout_ms=10_000)
    assert result.error["name"] in MEMORY_ERRORS, result.error
    assert_clear(result.error)
    assert result.events == [] and result.objects == []
    assert gone(first_child[0])
    again = sandboxed.run("other", OK, REQ)  # transparently recreated in a new sandbox
    assert again.error is None and again.events[0]["event"] == "ok"
    assert sandboxed.sandbox_pids() != first_child


def test_a_huge_split_is_a_memory_limit_error():
    result = run(SPLIT_BOMB, REQ)
    assert result.error["name"] == "MemoryLimitError", result.error
    assert "too large" in result.error["message"]
    assert run(OK, REQ).events[0]["event"] == "ok"


@pytest.mark.slow
def test_a_crash_in_a_batch_fails_only_the_culprit(sandboxed):
    code = "async function onRequest(r) { if (r.json().bomb) 'x'.repeat(2 ** 29 - 30).split(''); Segment.track({ userId: 'u', event: 'ok' }) }"
    invocations = [
        Invocation(normalize_request({"body": {"bomb": i == 2}}), {}, f"e{i}") for i in range(5)
    ]
    results = sandboxed.run_batch("mixed", code, invocations)
    assert [r.error["name"] if r.error else "ok" for r in results] == [
        "ok",
        "ok",
        "MemoryLimitError",
        "ok",
        "ok",
    ]


def run_in_thread(pool, *args, **kwargs):
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(result=pool.run(*args, **kwargs)))
    thread.start()
    return thread, outcome


def wait_for_sandbox(pool) -> int:
    for _ in range(500):
        if pool.sandbox_pids():
            return pool.sandbox_pids()[0]
        time.sleep(0.01)
    raise AssertionError("no sandbox process started")


def test_a_sandbox_killed_from_outside_mid_run(sandboxed):
    thread, outcome = run_in_thread(
        sandboxed, "slow", "async function onRequest() { for (;;) {} }", REQ, timeout_ms=5000
    )
    pid = wait_for_sandbox(sandboxed)
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    thread.join(10)
    error = outcome["result"].error
    assert error["name"] == "SandboxCrashError" and "SIGKILL" in error["message"]
    assert_clear(error)
    assert gone(pid)
    assert sandboxed.run("after", OK, REQ).events[0]["event"] == "ok"


@pytest.mark.slow
def test_a_sandbox_that_stops_answering_is_killed_at_the_deadline(sandboxed):
    thread, outcome = run_in_thread(
        sandboxed, "stuck", "async function onRequest() { for (;;) {} }", REQ, timeout_ms=50
    )
    pid = wait_for_sandbox(sandboxed)
    os.kill(pid, signal.SIGSTOP)  # frozen: it can neither end the run nor answer
    thread.join(15)
    assert not thread.is_alive()
    error = outcome["result"].error
    assert error["name"] == "TimeoutError" and "stopped answering" in error["message"]
    assert gone(pid)
    assert sandboxed.run("after", OK, REQ).error is None


def test_close_leaves_no_process_behind():
    pool = IsolatePool(max_processes=3)
    threads = [run_in_thread(pool, f"v{i}", OK, REQ)[0] for i in range(3)]
    for thread in threads:
        thread.join(30)
    pids = pool.sandbox_pids()
    assert pids and pool.idle_count() >= 1
    pool.close()
    assert pool.sandbox_pids() == []
    for pid in pids:
        assert gone(pid), pid
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped


def test_threads_running_at_once_get_their_own_results():
    pool = IsolatePool(max_isolates=4, max_processes=2)
    code = "async function onRequest(r, s) { await new Promise(t => setTimeout(t, 5)); Segment.track({ userId: s.user, event: 'e', properties: r.json() }) }"
    outcomes = {}

    def worker(n):
        for i in range(10):
            result = pool.run(f"v{n % 3}", code, {"body": {"n": n, "i": i}}, {"user": f"u{n}"})
            outcomes[(n, i)] = result

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 60
    for (n, i), result in outcomes.items():
        assert result.error is None, result.error
        assert result.events[0]["properties"] == {"n": n, "i": i}
        assert result.events[0]["userId"] == f"u{n}"
    assert len(pool.sandbox_pids()) <= 2
    pool.close()


def test_warm_isolates_stay_with_their_sandbox(sandboxed):
    leaky = "globalThis.seen = (globalThis.seen || 0) + 1; async function onRequest() { Segment.track({ userId: 'u', event: String(seen) }) }"
    events = [sandboxed.run("v", leaky, REQ).events[0]["event"] for _ in range(3)]
    assert events == ["1", "1", "1"]
    assert sandboxed.idle_count() == 1


def test_inline_isolation_is_still_available():
    pool = IsolatePool(isolation="inline")
    assert pool.run("v", OK, REQ).error is None
    assert pool.sandbox_pids() == []
    pool.close()
    with pytest.raises(ValueError):
        IsolatePool(isolation="thread")
