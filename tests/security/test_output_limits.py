# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Caps on what one execution may emit and write (issue 18.7): past a cap the execution
fails with OutputLimitError at the call that went over, nothing of its output is sent,
and its logs keep the first lines and say how many were dropped. Through the runner's
Python API and its CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner import Invocation, IsolatePool, Limits, normalize_request, run

ROOT = Path(__file__).resolve().parents[2]
REQ = {"body": {}}


@pytest.fixture(scope="module")
def pool():
    pool = IsolatePool(max_isolates=2)
    yield pool
    pool.close()


def test_the_1001st_event_fails_the_execution_at_that_call(pool):
    # The loop would run for seconds; it ends at the 1,001st call, where the count stops.
    code = """async function onRequest() {
      let calls = 0;
      try {
        for (let i = 0; i < 1e7; i++) { Segment.track({ userId: 'u' + i, event: 'Viewed' }); calls++; }
      } finally {
        console.log('calls', calls);
      }
    }"""
    result = pool.run("events", code, REQ, timeout_ms=5000)
    assert result.error["name"] == "OutputLimitError"
    assert (
        result.error["message"]
        == "1,001st Segment.track call: a function may emit at most 1,000 events per request"
    )
    assert result.error["line"] == 4  # the line of the call that went over
    assert result.events == [] and result.objects == []
    assert result.logs == [{"level": "log", "message": "calls 1000"}]


@pytest.mark.parametrize("method", ["identify", "group", "page", "screen", "alias"])
def test_the_message_names_the_segment_method_called(pool, method):
    message = {"userId": "u", "groupId": "g", "previousId": "p", "event": "e"}
    code = f"async function onRequest() {{ for (let i = 0; i < 1000; i++) Segment.track({{ userId: 'u', event: 'e' }}); Segment.{method}({json.dumps(message)}); }}"
    result = pool.run("methods", code, REQ)
    assert (
        result.error["message"]
        == f"1,001st Segment.{method} call: a function may emit at most 1,000 events per request"
    )


def test_the_1001st_object_fails_the_execution(pool):
    code = """async function onRequest() {
      Segment.track({ userId: 'u', event: 'kept?' });
      for (let i = 0; i < 5000; i++) Segment.set({ collection: 'rooms', id: String(i), properties: { i } });
    }"""
    result = pool.run("objects", code, REQ)
    assert (
        result.error["message"]
        == "1,001st Segment.set call: a function may emit at most 1,000 objects per request"
    )
    assert result.events == [] and result.objects == []


def test_catching_the_error_does_not_save_the_execution(pool):
    code = """async function onRequest() {
      for (let i = 0; i < 1500; i++) {
        try { Segment.track({ userId: 'u', event: 'e' }); } catch (err) { /* ignored */ }
      }
      return 'fine';
    }"""
    result = pool.run("caught", code, REQ)
    assert result.error["name"] == "OutputLimitError"
    assert result.error["message"].startswith("1,001st Segment.track call")
    assert result.events == []


def test_console_lines_past_the_cap_are_dropped_and_counted(pool):
    code = """async function onRequest() {
      Segment.track({ userId: 'u', event: 'e' });
      for (let i = 0; i < 1005; i++) { try { console.warn('line', i); } catch (err) {} }
    }"""
    result = pool.run("lines", code, REQ)
    assert (
        result.error["message"]
        == "1,001st console.warn call: a function may write at most 1,000 console lines per request"
    )
    assert result.events == []
    assert [line["message"] for line in result.logs[:-1]] == [f"line {i}" for i in range(1000)]
    assert result.logs[-1] == {
        "level": "warn",
        "message": "[5 more console lines dropped: a function may write at most 1,000 console lines per request]",
    }


def test_empty_console_lines_count_too(pool):
    # 1.5M console.log('') once stored ~50 MB: each line counts its overhead, and the
    # line cap ends it at the 1,001st call.
    result = pool.run(
        "empty",
        "async function onRequest() { for (let i = 0; i < 1.5e6; i++) console.log(''); }",
        REQ,
    )
    assert (
        result.error["message"]
        == "1,001st console.log call: a function may write at most 1,000 console lines per request"
    )
    assert len(json.dumps(result.logs)) < 64 * 1024
    assert len(result.logs) == 1001


def test_console_bytes_count_each_line_with_its_overhead(pool):
    # 100 lines of 1,000 characters: under the line cap, over 64 KB with the overhead.
    code = "async function onRequest() { for (let i = 0; i < 100; i++) console.log('x'.repeat(1000)); }"
    result = pool.run("bytes", code, REQ)
    assert (
        result.error["message"]
        == "64th console.log call: a function may write at most 64 KB of console output per request"
    )
    assert len(result.logs) == 64  # 63 lines of 1,032 bytes fit in 65,536, then the note
    assert (
        result.logs[-1]["message"]
        == "[1 more console line dropped: a function may write at most 64 KB of console output per request]"
    )
    # Non-ASCII text counts in UTF-8 bytes.
    wide = pool.run("bytes", "async function onRequest() { console.log('é'.repeat(40000)); }", REQ)
    assert (
        wide.error["message"]
        == "1st console.log call: a function may write at most 64 KB of console output per request"
    )
    assert (
        pool.run(
            "bytes", "async function onRequest() { console.log('e'.repeat(40000)); }", REQ
        ).error
        is None
    )


def test_the_legacy_interface_is_capped_too(pool):
    code = "exports.processEvents = async () => ({ events: Array.from({ length: 1001 }, (_, i) => ({ type: 'track', userId: 'u', event: 'e' + i })) })"
    result = pool.run("legacy", code, REQ, legacy=True)
    assert result.error["name"] == "OutputLimitError"
    assert (
        result.error["message"]
        == "1,001st event returned by processEvents(): a function may emit at most 1,000 events per request"
    )
    assert result.events == []


def test_caps_are_settings_of_the_limits(pool):
    code = "async function onRequest() { for (let i = 0; i < 5; i++) Segment.track({ userId: 'u', event: 'e' }); console.log('a'); console.log('b'); }"
    assert pool.run("caps", code, REQ, limits=Limits(events=5, console_lines=2)).error is None
    result = pool.run("caps", code, REQ, limits=Limits(events=4))
    assert (
        result.error["message"]
        == "5th Segment.track call: a function may emit at most 4 events per request"
    )
    result = pool.run("caps", code, REQ, limits=Limits(console_lines=1))
    assert (
        result.error["message"]
        == "2nd console.log call: a function may write at most 1 console lines per request"
    )


def test_one_execution_over_a_cap_leaves_the_others_of_its_batch_alone(pool):
    code = "async function onRequest(request) { const n = request.json().n; for (let i = 0; i < n; i++) Segment.track({ userId: 'u', event: 'e' + i }); }"
    invocations = [
        Invocation(normalize_request({"body": {"n": n}}), {}, f"x{k}")
        for k, n in enumerate([3, 1001, 2])
    ]
    first, flooded, last = pool.run_batch("batch", code, invocations)
    assert [e["event"] for e in first.events] == ["e0", "e1", "e2"]
    assert flooded.error["name"] == "OutputLimitError" and flooded.events == []
    assert [e["event"] for e in last.events] == ["e0", "e1"]


def test_the_cli_reports_the_output_limit(tmp_path):
    function = tmp_path / "function.js"
    function.write_text(
        "async function onRequest() { for (let i = 0; i < 2000; i++) Segment.track({ userId: 'u', event: 'e' }); }"
    )
    request = tmp_path / "request.json"
    request.write_text('{"body": {}}')
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "run", str(function), "--request", str(request)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["error"]["name"] == "OutputLimitError"
    assert (
        out["error"]["message"]
        == "1,001st Segment.track call: a function may emit at most 1,000 events per request"
    )
    assert out["events"] == [] and out["objects"] == []


def test_under_the_caps_nothing_changes():
    code = "async function onRequest() { for (let i = 0; i < 1000; i++) { Segment.track({ userId: 'u', event: 'e' }); Segment.set({ collection: 'c', id: String(i), properties: {} }); console.log(i); } }"
    result = run(code, REQ, timeout_ms=5000)
    assert result.error is None
    assert (len(result.events), len(result.objects), len(result.logs)) == (1000, 1000, 1000)
