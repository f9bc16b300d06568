# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Functions that try to escape, hang, or flood. The host must stay fine."""

import pytest

from runner import run

REQ = {"body": {}}


def probe(expression: str):
    code = f"async function onRequest() {{ let v; try {{ v = await ({expression}) }} catch (e) {{ v = 'threw ' + e.name }} Segment.track({{ userId: 'u', event: 'e', properties: {{ v: String(v) }} }}) }}"
    result = run(code, REQ)
    assert result.error is None, result.error
    return result.events[0]["properties"]["v"]


@pytest.mark.parametrize(
    "expression",
    [
        "typeof require",
        "typeof process",
        "typeof module",
        "typeof exports",
        "this.constructor.constructor('return typeof process')()",
        "(() => {}).constructor('return typeof require')()",
        "Function('return typeof process')()",
        "eval('typeof require')",
        "Object.getPrototypeOf(async function(){}).constructor('return typeof process')().then(x => x)",
        "onRequest.constructor.constructor('return typeof globalThis.process')()",
    ],
)
def test_no_host_objects_are_reachable(expression):
    assert probe(expression) == "undefined"


def test_dynamic_import_fails_cleanly():
    assert probe("import('fs')").startswith("threw")


def test_internal_scheduling_is_gone():
    assert probe("typeof FinalizationRegistry") == "undefined"
    assert probe("typeof Atomics.waitAsync") == "undefined"


def test_infinite_loop_times_out_and_next_run_works():
    result = run("async function onRequest() { while (true) {} }", REQ, timeout_ms=200)
    assert result.error["name"] == "TimeoutError"
    assert (
        run("async function onRequest() { Segment.track({ userId: 'u', event: 'ok' }) }", REQ).error
        is None
    )


def test_loop_after_await_times_out():
    result = run("async function onRequest() { await null; for (;;) {} }", REQ, timeout_ms=200)
    assert result.error["name"] == "TimeoutError"


def test_loop_in_a_timer_times_out():
    result = run(
        "async function onRequest() { await new Promise(r => setTimeout(() => { for (;;) {} }, 1)) }",
        REQ,
        timeout_ms=200,
    )
    assert result.error["name"] == "TimeoutError"


def test_unresolved_promise_ends_at_once():
    result = run("async function onRequest() { await new Promise(() => {}) }", REQ, timeout_ms=5000)
    assert result.error["name"] == "TimeoutError" and "never settles" in result.error["message"]


def test_long_timer_is_cut_by_the_limit():
    result = run(
        "async function onRequest() { await new Promise(r => setTimeout(r, 60000)) }",
        REQ,
        timeout_ms=150,
    )
    assert result.error["name"] == "TimeoutError"


def test_timers_left_running_do_not_outlive_the_execution(pool):
    code = """async function onRequest() {
      setInterval(() => console.log('tick'), 1); setTimeout(() => Segment.track({ userId: 'u', event: 'late' }), 5);
      Segment.track({ userId: 'u', event: 'now' }) }"""
    first = pool.run("timers", code, REQ)
    second = pool.run("timers", code, REQ)
    assert [e["event"] for e in first.events] == ["now"] and first.logs == []
    assert [e["event"] for e in second.events] == ["now"]


def test_memory_bomb_hits_the_limit_and_host_survives(pool):
    result = pool.run(
        "bomb",
        "async function onRequest() { const a = []; for (;;) a.push({ x: Math.random(), y: [1, 2, 3] }) }",
        REQ,
        timeout_ms=10000,
    )
    assert result.error["name"] == "MemoryLimitError"
    assert (
        pool.run(
            "bomb",
            "async function onRequest() { Segment.track({ userId: 'u', event: 'ok' }) }",
            REQ,
        ).error
        is None
    )


def test_huge_console_output_keeps_the_first_lines_and_fails():
    result = run(
        "async function onRequest() { for (let i = 0; i < 100000; i++) console.log('line ' + i) }",
        REQ,
    )
    assert result.error["name"] == "OutputLimitError"
    assert sum(len(entry["message"]) for entry in result.logs) <= 64 * 1024 + 100
    assert [entry["message"] for entry in result.logs[:-1]] == [f"line {i}" for i in range(1000)]
    assert result.logs[-1]["message"].startswith("[1 more console line dropped")


def test_overriding_the_runtime_does_not_fake_other_runs(pool):
    evil = "async function onRequest() { JSON.stringify = () => '{}'; Array.prototype.push = function () {}; }"
    pool.run("evil", evil, REQ)
    honest = pool.run(
        "evil", "async function onRequest() { Segment.track({ userId: 'u', event: 'ok' }) }", REQ
    )
    assert honest.events[0]["event"] == "ok"
