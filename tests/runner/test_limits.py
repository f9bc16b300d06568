# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""One runner.Limits: its bounds, the worst case of a batch, and every part of the
runner (pool, one-shot run, sandbox process, fetch bridge, request) obeying it."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

import runner
from runner import Invocation, IsolatePool, LimitError, Limits, normalize_request
from runner.sandbox import HARD_MARGIN_S, hard_deadline

from .conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
REQ = {"body": {}}
TRACK = "async function onRequest() { Segment.track({ userId: 'u', event: 'e' }) }"


def test_the_defaults_are_todays_limits():
    limits = Limits()
    assert (limits.timeout_ms, limits.heap_mb, limits.request_bytes) == (1000, 128, 2 * 1024 * 1024)
    assert (limits.events, limits.objects, limits.console_lines) == (1000, 1000, 1000)
    assert (limits.console_bytes, limits.fetch_calls) == (64 * 1024, 50)
    assert runner.MAX_TIMEOUT_MS == Limits.bounds("timeout_ms")[1] == 10_000
    assert runner.MAX_BODY_BYTES == limits.request_bytes


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"timeout_ms": 20000},
            "timeout_ms: the time limit per execution must be a whole number from 1 to 10,000 ms, not 20000",
        ),
        (
            {"timeout_ms": 0},
            "timeout_ms: the time limit per execution must be a whole number from 1 to 10,000 ms, not 0",
        ),
        (
            {"events": 0},
            "events: the cap on events per execution must be a whole number from 1 to 100,000 events, not 0",
        ),
        (
            {"heap_mb": "128"},
            "heap_mb: the heap of an isolate must be a whole number from 32 to 4,096 MB, not '128'",
        ),
        (
            {"console_bytes": True},
            "console_bytes: the cap on console output per execution must be a whole number from 1,024 to 16,777,216 bytes, not True",
        ),
    ],
)
def test_an_out_of_range_limit_names_the_field_and_the_range(changes, message):
    with pytest.raises(LimitError) as raised:
        Limits(**changes)
    assert str(raised.value) == message
    assert raised.value.name == next(iter(changes))
    with pytest.raises(LimitError):  # replace() checks too: no invalid Limits exists
        dataclasses.replace(Limits(), **changes)


def test_limits_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Limits().timeout_ms = 5


def test_the_worst_case_of_a_batch_is_one_formula():
    limits = Limits(timeout_ms=1500)
    assert limits.worst_execution_s == pytest.approx(2 * 1.5 + 0.1)
    assert limits.batch_deadline_s(10) == pytest.approx(10 * limits.worst_execution_s)
    # The sandbox's hard deadline is that worst case plus its margin.
    import time

    before = time.monotonic()
    deadline = hard_deadline(10, limits)
    assert before + limits.batch_deadline_s(10) + HARD_MARGIN_S <= deadline
    assert deadline <= time.monotonic() + limits.batch_deadline_s(10) + HARD_MARGIN_S


def test_a_pool_checks_limits_and_still_takes_timeout_ms():
    pool = IsolatePool(isolation="inline")
    with pytest.raises(LimitError, match="timeout_ms: .* from 1 to 10,000 ms, not 20000"):
        pool.run("v", TRACK, REQ, timeout_ms=20000)
    with pytest.raises(TypeError, match="runner.Limits"):
        pool.run("v", TRACK, REQ, limits={"timeout_ms": 5})
    looping = "async function onRequest() { while (true) {} }"
    result = pool.run("v", looping, REQ, limits=Limits(timeout_ms=50))
    assert result.error["name"] == "TimeoutError" and "50 ms limit" in result.error["message"]
    # timeout_ms= replaces the time of the limits given.
    result = pool.run("v", looping, REQ, limits=Limits(timeout_ms=5000, events=3), timeout_ms=60)
    assert "60 ms limit" in result.error["message"]
    pool.close()


def test_the_pool_limits_are_the_default_of_its_calls():
    pool = IsolatePool(isolation="inline", limits=Limits(events=2))
    code = "async function onRequest() { for (let i = 0; i < 3; i++) Segment.track({ userId: 'u', event: 'e' }) }"
    assert pool.run("v", code, REQ).error["name"] == "OutputLimitError"
    assert pool.run("v", code, REQ, limits=Limits(events=3)).error is None
    pool.close()


def test_limits_cross_into_the_sandbox_process():
    pool = IsolatePool(max_isolates=2, limits=Limits(objects=1, timeout_ms=3000))
    code = "async function onRequest() { Segment.set({ collection: 'c', id: '1', properties: {} }); Segment.set({ collection: 'c', id: '2', properties: {} }) }"
    invocations = [Invocation(normalize_request(REQ), {}, f"e{i}") for i in range(2)]
    [first, second] = pool.run_batch("v", code, invocations)
    assert (
        first.error["message"]
        == "2nd Segment.set call: a function may emit at most 1 objects per request"
    )
    assert second.error == first.error
    [ok, _] = pool.run_batch("v", code, invocations, limits=Limits(objects=2))
    assert ok.error is None and [o["id"] for o in ok.objects] == ["1", "2"]
    pool.close()


def test_the_heap_limit_is_the_isolates(isolates_made):
    pool = IsolatePool(isolation="inline", limits=Limits(heap_mb=32, timeout_ms=5000))
    bomb = "async function onRequest() { const a = []; while (true) a.push(new Array(1e5).fill(1.5)); }"
    assert pool.run("v", bomb, REQ).error["name"] == "MemoryLimitError"
    # A call with another heap limit gets an isolate of its own, not the warm one.
    pool.run("v", TRACK, REQ)
    pool.run("v", TRACK, REQ, limits=Limits(heap_mb=64))
    pool.run("v", TRACK, REQ)
    assert len(isolates_made) == 3
    pool.close()


def test_the_fetch_cap_is_a_limit(inline_pool):
    code = """async function onRequest() {
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => fetch('http://10.0.0.1/')));
      Segment.track({ userId: 'u', event: 'e', properties: { refused: outcomes.filter((o) => /over 2 fetch calls/.test(o.reason.message)).length } });
    }"""
    result = inline_pool.run("fetches", code, REQ, limits=Limits(fetch_calls=2, timeout_ms=3000))
    assert result.error is None, result.error
    assert result.events[0]["properties"] == {"refused": 3}
    assert result.fetches[-1]["error"] == "3 more fetch calls refused: over 2 per execution"


def test_the_request_limit_is_a_limit(inline_pool):
    body = {"rawBody": "x" * 2000}
    with pytest.raises(
        runner.RequestFormatError, match="the body is 2,000 bytes; the limit is 1,024 bytes"
    ):
        inline_pool.run("big", TRACK, body, limits=Limits(request_bytes=1024))
    assert inline_pool.run("big", TRACK, body, limits=Limits(request_bytes=2000)).error is None
    with pytest.raises(runner.RequestFormatError, match=r"limit is 2 MB \(2,097,152 bytes\)"):
        normalize_request({"rawBody": "x" * (runner.MAX_BODY_BYTES + 1)})


def test_the_cli_names_the_range_of_timeout_ms(tmp_path):
    proc = run_cli(tmp_path, TRACK, "--timeout-ms", "20000", request="{}")
    assert proc.returncode == 2 and proc.stdout == ""
    assert (
        "--timeout-ms: the time limit per execution must be a whole number from 1 to 10,000 ms"
        in proc.stderr
    )


def _manage_check(**env):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "functions_ide.settings", **env},
    )  # fmt: skip


def test_manage_py_check_refuses_an_out_of_range_limit():
    proc = _manage_check(RUNNER_TIMEOUT_MS="20000", RUNNER_MAX_CONSOLE_BYTES="10")
    assert proc.returncode == 1
    assert (
        "(functions_ide.E001) RUNNER_TIMEOUT_MS=20000 is out of range: the time limit per "
        "execution must be a whole number from 1 to 10,000 ms." in proc.stderr
    )
    assert (
        "RUNNER_MAX_CONSOLE_BYTES=10 is out of range: the cap on console output per execution must be a whole number from 1,024 to 16,777,216 bytes."
        in proc.stderr
    )


def test_manage_py_check_accepts_limits_in_range():
    proc = _manage_check(
        RUNNER_TIMEOUT_MS="10000", RUNNER_MAX_EVENTS="5000", WEBHOOK_MAX_BYTES="1048576"
    )
    assert proc.returncode == 0, proc.stderr


def test_the_settings_build_one_limits_from_the_environment():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "l = s.RUNNER_LIMITS; print(l.timeout_ms, l.events, l.console_lines, l.request_bytes, s.WEBHOOK_MAX_BYTES)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "functions_ide.settings",
             "RUNNER_TIMEOUT_MS": "2500", "RUNNER_MAX_EVENTS": "5000",
             "RUNNER_MAX_CONSOLE_LINES": "20", "WEBHOOK_MAX_BYTES": "4096"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2500", "5000", "20", "4096", "4096"]


def test_an_errors_message_and_stack_are_cut_at_8_kb(inline_pool):
    # An outside attack stored an 8 MB message and stack per attempt (issue 18.8).
    code = "async function onRequest() { throw new Error('x'.repeat(8 * 1024 * 1024)); }"
    result = inline_pool.run("long-error", code, REQ, {}, timeout_ms=5000)
    error = result.error
    assert error["message"] == "x" * 8192 + f"… [{8 * 1024 * 1024 - 8192:,} characters cut]"
    assert error["stack"].startswith("Error: " + "x" * 8185 + "… [")
    assert len(error["stack"]) < 8300
    assert error["line"] == 1
