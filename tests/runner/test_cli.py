# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""The CLI contract of ARCHITECTURE.md, through a real subprocess."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).parent / "samples"


def cli(tmp_path, code, *args, request=None):
    function = tmp_path / "function.js"
    function.write_text(code)
    args = [
        "run",
        str(function),
        "--request",
        str(request or SAMPLES / "stripe_charge_succeeded.json"),
        *args,
    ]
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_success_prints_one_json_object(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text('{"prefix": "Stripe"}')
    proc = cli(
        tmp_path,
        "async function onRequest(r, s) { console.log('hi'); Segment.track({ userId: 'u', event: s.prefix + ' ' + r.json().type }) }",
        "--settings",
        str(settings),
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"events", "objects", "logs", "error", "fetches", "duration_ms", "response"}
    assert out["response"] is None
    assert out["events"][0]["event"] == "Stripe charge.succeeded" and out["logs"] == [
        {"level": "log", "message": "hi"}
    ]


def test_failure_exits_1(tmp_path):
    proc = cli(tmp_path, "async function onRequest() { throw new ValidationError('nope') }")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"]["name"] == "ValidationError"


def test_legacy_and_sample_form(tmp_path):
    proc = cli(
        tmp_path,
        "exports.processEvents = async (e) => ({ events: [{ type: 'identify', userId: e.payload.body.sender.login }] })",
        "--legacy",
        request=SAMPLES / "github_push.json",
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["events"][0]["userId"] == "Codertocat"


def test_usage_errors_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli(tmp_path, "function onRequest() {}", request=bad).returncode == 2
    assert cli(tmp_path, "function onRequest() {}", "--timeout-ms", "99999").returncode == 2
    proc = subprocess.run(
        [sys.executable, "-m", "runner", "run"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2 and proc.stdout == ""


SLEEPS = "async function onRequest() { await new Promise((r) => setTimeout(r, 1300)); }"


def test_a_timeout_at_the_default_limit_says_how_to_give_the_functions_own(tmp_path):
    proc = cli(tmp_path, SLEEPS)
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert error["name"] == "TimeoutError"
    assert error["hint"] == (
        "This run had the default time limit, 1,000 ms. A function may have up to 10,000 ms, "
        "set in its Configure: give the same here with --timeout-ms."
    )
    assert cli(tmp_path, SLEEPS, "--timeout-ms", "2000").returncode == 0
    given = json.loads(cli(tmp_path, SLEEPS, "--timeout-ms", "1000").stdout)["error"]
    assert given["name"] == "TimeoutError" and "hint" not in given
