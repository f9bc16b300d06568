"""`functions-cli test FUNCTION.js --tests DIR`, through a real subprocess: the
contract "Saved tests, run locally" (output lines, exit status, settings, request forms)."""

import json
import subprocess
import sys
from pathlib import Path

CLI = Path(sys.executable).parent / "functions-cli"
STRIPE = """
async function onRequest(request, settings) {
  const body = request.json();
  if (!body.data) throw new ValidationError('no data in the payload');
  const charge = body.data.object;
  Segment.track({ event: settings.prefix + ' Completed', userId: charge.customer,
                  properties: { amount: charge.amount / 100, mode: settings.mode } });
  Segment.set({ collection: 'customers', id: charge.customer, properties: { paid: true } });
}
"""
LEGACY = """
exports.processEvents = async (event) => {
  return { events: [{ type: 'track', event: 'Legacy ' + event.payload.body.kind, userId: 'u9' }] };
};
"""
BODY = {"data": {"object": {"customer": "cus_1", "amount": 2000}}}
REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": BODY}
PASSING = {
    "name": "charge succeeded becomes Order Completed",
    "request": REQUEST,
    "settings": {"prefix": "Order"},
    "expect": {
        "events": [{"type": "track", "event": "Order Completed", "userId": "cus_1",
                    "properties": {"amount": 20}, "messageId": "*", "timestamp": "*"}],
        "objects": [{"collection": "customers", "id": "cus_1"}],
    },
}  # fmt: skip


def expecting(name, event):
    return {**PASSING, "name": name, "expect": {"events": [event]}}


def run_cli(tmp_path, cases, *args, code=STRIPE):
    function = tmp_path / "function.js"
    function.write_text(code)
    directory = tmp_path / "cases"
    directory.mkdir(exist_ok=True)
    for file_name, case in cases.items():
        text = case if isinstance(case, str) else json.dumps(case)
        (directory / file_name).write_text(text)
    return subprocess.run(
        [str(CLI), "test", str(function), "--tests", str(directory), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_all_passing_prints_pass_lines_and_exits_0(tmp_path):
    error_case = {
        "name": "no data is a validation error",
        "request": {**REQUEST, "body": {}},
        "expect": {"error": {"name": "ValidationError", "message": "no data"}},
    }
    done = run_cli(tmp_path, {"a.json": PASSING, "b.json": error_case})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "PASS charge succeeded becomes Order Completed",
        "PASS no data is a validation error",
        "2 passed, 0 failed",
    ]


def test_a_failing_case_prints_its_diff_and_exits_1(tmp_path):
    wrong = expecting("wrong amount", {"event": "Order Completed", "properties": {"amount": 25}})
    done = run_cli(tmp_path, {"1.json": PASSING, "2.json": wrong})
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "PASS charge succeeded becomes Order Completed",
        "FAIL wrong amount",
        "    events[0].properties.amount: expected 25, got 20",
        "1 passed, 1 failed",
    ]


def test_case_settings_override_the_settings_file(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"prefix": "Charge", "mode": "live"}))
    live = {"properties": {"mode": "live"}}
    from_file = {
        **expecting("from the file", {"event": "Charge Completed", **live}),
        "settings": {},
    }
    overridden = expecting("overridden", {"event": "Order Completed", **live})
    done = run_cli(
        tmp_path, {"a.json": from_file, "b.json": overridden}, "--settings", str(settings)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 0 failed" in done.stdout


def test_the_sample_request_form_and_legacy_interface(tmp_path):
    sample = {
        "name": "sample form",
        "request": {"payload": {"body": {"kind": "ping"}, "headers": {"X-A": ["1", "2"]}}},
        "expect": {"events": [{"event": "Legacy ping", "userId": "u9"}]},
    }
    done = run_cli(tmp_path, {"s.json": sample}, "--legacy", code=LEGACY)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "PASS sample form"


def test_a_case_without_a_name_is_named_by_its_file(tmp_path):
    unnamed = {key: value for key, value in PASSING.items() if key != "name"}
    done = run_cli(tmp_path, {"paid-charge.json": unnamed})
    assert done.stdout.splitlines()[0] == "PASS paid-charge"


def test_an_unexpected_failure_fails_the_case(tmp_path):
    done = run_cli(tmp_path, {"a.json": PASSING}, code="async function onRequest() { nope(); }")
    assert done.returncode == 1
    assert "    the function failed: ReferenceError: nope is not defined (line 1)" in done.stdout


def test_usage_errors_exit_2_and_run_nothing(tmp_path):
    bad_json = run_cli(tmp_path, {"a.json": PASSING, "b.json": "{not json"})
    assert bad_json.returncode == 2 and bad_json.stdout == ""
    assert "b.json is not valid JSON" in bad_json.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([str(CLI), "test", str(tmp_path / "function.js"), "--tests", str(empty)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "holds no test cases" in done.stderr

    (tmp_path / "cases" / "b.json").write_text(json.dumps({**PASSING, "expect": {}}))
    malformed = run_cli(tmp_path, {})
    assert malformed.returncode == 2
    assert 'b.json: "expect" must give "events", "objects" or "error"' in malformed.stderr


def test_missing_arguments_are_usage_errors(tmp_path):
    alone = subprocess.run([str(CLI), "test", "f.js"], capture_output=True, text=True, timeout=60)
    assert alone.returncode == 2 and "needs --tests DIR" in alone.stderr
    nothing = subprocess.run([str(CLI), "test"], capture_output=True, text=True, timeout=60)
    assert nothing.returncode == 2
