# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A time limit per function: the CLI's --timeout-ms and a pool's batches honour the
limit each call gives, up to 10 s, busy or waiting."""

import json
import time

from runner import Invocation, IsolatePool, Limits, normalize_request

from .conftest import run_cli

BUSY = "async function onRequest() { const end = Date.now() + 1500; while (Date.now() < end) {} console.log('done'); }"
WAITING = "async function onRequest() { await new Promise((r) => setTimeout(r, 1200)); console.log('done'); }"


def cli(tmp_path, code, *args):
    proc = run_cli(tmp_path, code, *args)
    return proc.returncode, json.loads(proc.stdout)


def test_the_cli_stops_a_function_at_the_default_second(tmp_path):
    status, out = cli(tmp_path, BUSY)
    assert status == 1
    assert out["error"]["name"] == "TimeoutError"
    assert out["error"]["message"] == "the function ran past its 1 s limit at function.js line 1"


def test_the_cli_lets_it_run_up_to_the_limit_it_is_given(tmp_path):
    for code in (BUSY, WAITING):
        status, out = cli(tmp_path, code, "--timeout-ms", "10000")
        assert (status, out["error"], out["logs"][0]["message"]) == (0, None, "done")
    status, out = cli(tmp_path, WAITING, "--timeout-ms", "1000")
    assert (status, out["error"]["name"]) == (1, "TimeoutError")


def test_a_batch_runs_with_the_limit_of_its_call():
    pool = IsolatePool(max_isolates=2)
    try:
        waits = [Invocation(normalize_request({"body": {}})) for _ in range(2)]
        fine = pool.run_batch("slow", WAITING, waits, limits=Limits(timeout_ms=3000))
        started = time.monotonic()
        stopped = pool.run_batch(
            "loop",
            "async function onRequest() { while (true) {} }",
            waits[:1],
            limits=Limits(timeout_ms=2500),
        )
        took = time.monotonic() - started
        default = pool.run_batch("slow", WAITING, waits[:1])
    finally:
        pool.close()
    assert [r.error for r in fine] == [None, None]
    assert (
        stopped[0].error["message"] == "the function ran past its 2.5 s limit at function.js line 1"
    )
    assert 2.4 < took < 6
    assert default[0].error["name"] == "TimeoutError"
