# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Memory outside the V8 heap (ArrayBuffer, SharedArrayBuffer, WebAssembly.Memory) is
bounded per sandbox process: past the budget the execution fails with MemoryLimitError,
alone, and its sandbox is replaced; what a run kept does not pile up across runs."""

from pathlib import Path

import pytest

from runner import Invocation, IsolatePool, normalize_request

BUDGET_MB = 256
REQ = {"body": {}}
# Limits far from what the tests do: the memory limit must come first, on a busy machine too.
SLOW_OK_MS = 10_000
OK = "async function onRequest() { Segment.track({ userId: 'u', event: 'ok' }) }"

GROWTH = {
    "typed arrays, filled": "const a = []; while (true) a.push(new Uint8Array(1e7).fill(1));",
    "array buffers, never touched": "const a = []; while (true) a.push(new ArrayBuffer(1e8));",
    "shared array buffers": "const a = []; while (true) a.push(new SharedArrayBuffer(1e8));",
    "a growing WebAssembly memory": "const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); while (true) m.grow(100);",
    "WebAssembly memories": "const a = []; while (true) a.push(new WebAssembly.Memory({ initial: 1000 }));",
}


@pytest.fixture(scope="module")
def small():
    pool = IsolatePool(max_isolates=4, sandbox_memory_mb=BUDGET_MB)
    yield pool
    pool.close()


def resident_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


@pytest.mark.parametrize("growth", sorted(GROWTH))
def test_memory_outside_the_heap_past_the_budget_is_a_memory_limit_error(small, growth):
    code = f"async function onRequest() {{ {GROWTH[growth]} }}"
    result = small.run(f"grow-{growth}", code, REQ, timeout_ms=SLOW_OK_MS)
    assert result.error["name"] == "MemoryLimitError", result.error
    assert f"{BUDGET_MB} MB" in result.error["message"]
    assert result.events == [] and result.objects == []
    assert small.run("ok", OK, REQ).events[0]["event"] == "ok"


def test_a_function_that_catches_the_refusal_and_keeps_the_memory_is_stopped(small):
    code = """async function onRequest() {
      const kept = [];
      try { while (true) kept.push(new Uint8Array(1e7).fill(1)); } catch (e) { console.log(String(e)); }
      await new Promise((resolve) => setTimeout(resolve, 10));
      Segment.track({ userId: 'u', event: 'kept', properties: { n: kept.length } });
    }"""
    result = small.run("catch-and-keep", code, REQ, timeout_ms=SLOW_OK_MS)
    assert result.error["name"] == "MemoryLimitError", result.error
    assert result.events == []


def test_the_sandbox_that_went_past_its_budget_is_replaced(small):
    assert small.run("ok", OK, REQ).error is None
    before = small.sandbox_pids()
    code = f"async function onRequest() {{ {GROWTH['typed arrays, filled']} }}"
    assert small.run("hog", code, REQ, timeout_ms=SLOW_OK_MS).error["name"] == "MemoryLimitError"
    assert not set(before) & set(small.sandbox_pids())
    assert small.run("ok", OK, REQ).error is None


def test_in_a_batch_only_the_culprit_is_charged(small):
    code = "async function onRequest(r) { if (r.json().hog) { const a = []; while (true) a.push(new Uint8Array(1e7).fill(1)); } Segment.track({ userId: 'u' + r.json().n, event: 'ok' }) }"
    invocations = [
        Invocation(normalize_request({"body": {"n": n, "hog": n == 2}}), {}, f"e{n}")
        for n in range(5)
    ]
    results = small.run_batch("batch-hog", code, invocations, timeout_ms=SLOW_OK_MS)
    assert [r.error["name"] if r.error else r.events[0]["userId"] for r in results] == [
        "u0",
        "u1",
        "MemoryLimitError",
        "u3",
        "u4",
    ]


def test_memory_kept_by_one_run_does_not_pile_up_across_runs(small):
    """Each run parks 150 MB in a global; without the reset and a collection before
    the isolate goes idle, six of them would need 900 MB in a 256 MB sandbox."""
    code = "async function onRequest() { globalThis.kept = new Uint8Array(1.5e8).fill(1); Segment.track({ userId: 'u', event: 'parked' }) }"
    for _ in range(6):
        result = small.run("park", code, REQ, timeout_ms=SLOW_OK_MS)
        assert result.error is None, result.error
        (pid,) = small.sandbox_pids()
        assert resident_mb(pid) < BUDGET_MB


def test_a_normal_sandbox_stays_far_below_the_default_budget():
    pool = IsolatePool(max_isolates=8)
    try:
        code = "async function onRequest(r) { const b = r.json(); Segment.track({ userId: b.u, event: 'e', properties: { t: _.sum([1, 2]), h: crypto.createHash('sha256').update('x').digest('hex') } }) }"
        for version in range(8):
            assert pool.run(f"v{version}", code, {"body": {"u": "u1"}}).error is None
        (pid,) = pool.sandbox_pids()
        assert resident_mb(pid, "VmHWM") < 1024 / 2  # the point where a sandbox is replaced
    finally:
        pool.close()


def test_the_budget_must_leave_room_for_v8():
    with pytest.raises(ValueError, match="sandbox_memory_mb"):
        IsolatePool(sandbox_memory_mb=16)
