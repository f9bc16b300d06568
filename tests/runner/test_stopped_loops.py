# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A loop still running at the time limit stops where it is: the TimeoutError names the
limit and the loop's line (runner.loops puts a guard in every loop body), and every
line and column of other errors stays the user's own."""

import json

from runner import Invocation, IsolatePool, normalize_request, run

from .conftest import run_cli

REQ = {"body": {}}

LOOPING = """async function onRequest(request, settings) {
  const body = request.json();
  let n = 0;
  while (true) {
    n++;
  }
}
"""


def test_an_endless_loop_names_the_limit_and_its_line():
    error = run(LOOPING, REQ, timeout_ms=200).error
    assert error["name"] == "TimeoutError"
    assert error["message"] == "the function ran past its 200 ms limit at function.js line 4"
    assert (error["line"], error["column"]) == (4, 3)  # the `while`
    assert error["stack"].startswith(
        "TimeoutError: the function ran past its 200 ms limit at function.js line 4\n    at onRequest (function.js:4:3)"
    )
    assert "The loop at line 4 was still running" in error["hint"]


def test_the_limit_is_in_seconds_from_one_second():
    error = run(LOOPING, REQ, timeout_ms=1500).error
    assert error["message"] == "the function ran past its 1.5 s limit at function.js line 4"


def test_a_loop_in_a_helper_has_its_callers_in_the_stack():
    code = "function spin(list) {\n  for (let i = 0; i < list.length; i += 0) list.push(i);\n}\nasync function onRequest() {\n  spin([1]);\n}\n"
    error = run(code, REQ, timeout_ms=200).error
    assert (error["line"], error["column"]) == (2, 3)
    assert "at spin (function.js:2:3)" in error["stack"]
    assert "at onRequest (function.js:5:3)" in error["stack"]


def test_each_kind_of_loop_is_stopped_at_its_line():
    loops = {
        "do {} while (true);": 2,
        "for (;;);": 2,
        "const o = { a: 1 };\n  for (;;) for (const k in o) o[k]++;": 3,
        "const a = [1];\n  for (const x of a) a.push(x);": 3,
    }
    for loop, line in loops.items():
        code = f"async function onRequest() {{\n  {loop}\n}}"
        error = run(code, REQ, timeout_ms=150).error
        assert error["message"].endswith(f"at function.js line {line}"), (loop, error)


def test_a_loop_that_catches_the_timeout_still_stops():
    code = """async function onRequest() {
  while (true) {
    try {
      for (;;) {}
    } catch (e) {
      console.log('caught: ' + e.message);
    }
  }
}"""
    result = run(code, REQ, timeout_ms=200)
    assert result.error["message"] == "the function ran past its 200 ms limit at function.js line 4"
    assert [log["message"] for log in result.logs] == [
        "caught: the function ran past its 200 ms limit"
    ]


def test_a_timeout_caught_and_returned_from_still_fails_the_execution():
    code = "async function onRequest() {\n  try { while (true) {} } catch (e) {}\n  Segment.track({ userId: 'u', event: 'after' });\n}"
    result = run(code, REQ, timeout_ms=200)
    assert result.error["name"] == "TimeoutError" and result.error["line"] == 2
    assert result.events == []


def test_a_loop_after_a_timer_counts_the_time_already_spent():
    # Half the limit waited: a worker late to wake from the timer (a busy machine) still
    # finds the loop running, and the loop stops at the limit, not half a limit past it.
    code = "async function onRequest() {\n  await new Promise((r) => setTimeout(r, 500));\n  while (true) {}\n}"
    result = run(code, REQ, timeout_ms=1000)
    assert result.error["message"] == "the function ran past its 1 s limit at function.js line 3"
    assert 980 <= result.duration_ms < 1450


def test_columns_after_a_guard_on_the_same_line_are_the_users():
    line = "  for (const i of [1, 2]) { if (i > 5) throw new Error('big') } let k = 0; while (k < 3) { k++; if (k === 2) null.x; }"
    code = f"async function onRequest() {{\n{line}\n}}"
    error = run(code, REQ).error
    assert error["name"] == "TypeError"
    assert (error["line"], error["column"]) == (2, line.index("null.x") + 6)  # at `x`, as V8 says
    assert f"function.js:2:{line.index('null.x') + 6}" in error["stack"]


def test_a_loop_that_ends_costs_nothing_and_returns():
    code = "async function onRequest() {\n  let sum = 0;\n  for (let i = 0; i < 1e6; i++) sum += i;\n  Segment.track({ userId: 'u', event: 'sum', properties: { sum } });\n}"
    result = run(code, REQ)
    assert result.error is None
    assert result.events[0]["properties"] == {"sum": 499999500000}


def test_the_other_executions_of_a_batch_run_on_in_the_same_isolate():
    pool = IsolatePool(max_isolates=2)
    code = "async function onRequest(r) {\n  if (r.json().loop) while (true) {}\n  Segment.track({ userId: 'u', event: 'ok' });\n}"
    invocations = [Invocation(normalize_request({"body": {"loop": i == 1}})) for i in range(4)]
    try:
        results = pool.run_batch("loops", code, invocations, timeout_ms=150)
    finally:
        pool.close()
    assert [r.error["line"] if r.error else "ok" for r in results] == ["ok", 2, "ok", "ok"]


def test_the_legacy_interface_is_guarded_too():
    code = "exports.processEvents = async (event) => {\n  for (;;) {}\n};"
    error = run(code, REQ, legacy=True, timeout_ms=150).error
    assert error["message"] == "the function ran past its 150 ms limit at function.js line 2"


def test_the_cli_says_where_the_loop_was_and_which_limit_it_had(tmp_path):
    proc = run_cli(tmp_path, LOOPING)
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert error["message"] == "the function ran past its 1 s limit at function.js line 4"
    assert error["hint"].startswith("The loop at line 4 was still running")
    assert "This run had the default time limit, 1,000 ms." in error["hint"]
