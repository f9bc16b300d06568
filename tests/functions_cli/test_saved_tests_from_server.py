# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""`functions-cli` with a server's saved tests: `test --function F` runs the draft on them
locally, `pull --tests DIR` writes them as case files, `push --deploy` meets the gate."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from catalog.models import AuditEntry, SavedTest
from tests.factories import FunctionFactory, bearer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
CLI = Path(sys.executable).parent / "functions-cli"
CODE = """async function onRequest(request, settings) {
  Segment.track({ event: 'Order Completed', userId: 'u1',
                  properties: { amount: request.json().amount / 100, key: settings.apiKey.length } });
}"""
REQUEST = {
    "method": "POST",
    "url": "https://example.com/hook",
    "headers": {},
    "body": {"amount": 2000},
}
API_KEY = {"name": "apiKey", "label": "API key", "type": "string", "required": True,
           "encrypted": True, "description": ""}  # fmt: skip


@pytest.fixture
def cli(tmp_path, live_server, owner, workspace):
    config = tmp_path / "config.json"
    env = {**os.environ, "SOURCE_FN_CONFIG": str(config)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(CLI), *args], capture_output=True, text=True, env=env, timeout=90
        )

    token = bearer(owner, workspace).removeprefix("Bearer ")
    assert (
        run("login", "--url", live_server.url, "--workspace", "acme", "--token", token).returncode
        == 0
    )
    return run


@pytest.fixture
def function(workspace):
    function = FunctionFactory(
        workspace=workspace, slug="orders", draft_code=CODE, draft_settings=[API_KEY],
        test_secrets={"apiKey": "sk-12345"},
    )  # fmt: skip
    for name, amount in (("amount in dollars", 20), ("wrong amount: 25!", 25)):
        SavedTest.objects.create(
            function=function, name=name, request=REQUEST, secret_settings=["apiKey"],
            expect={"events": [{"event": "Order Completed", "properties": {"amount": amount}}]},
        )  # fmt: skip
    return function


def test_test_function_runs_the_saved_tests_locally(cli, function, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"apiKey": "local-key"}))  # secrets come from --settings
    done = cli("test", "--function", "orders", "--settings", str(settings))
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "PASS amount in dollars",
        "FAIL wrong amount: 25!",
        "    events[0].properties.amount: expected 25, got 20",
        "1 passed, 1 failed",
    ]


def test_pull_tests_writes_case_files_that_test_runs(cli, function, tmp_path):
    cases = tmp_path / "cases"
    pulled = cli(
        "pull", "--function", "orders", "-o", str(tmp_path / "orders.js"), "--tests", str(cases)
    )
    assert pulled.returncode == 0, pulled.stderr
    assert sorted(p.name for p in cases.iterdir()) == [
        "amount-in-dollars.json",
        "wrong-amount-25.json",
    ]
    case = json.loads((cases / "amount-in-dollars.json").read_text())
    assert case == {"name": "amount in dollars", "request": REQUEST, "settings": {},
                    "expect": {"events": [{"event": "Order Completed", "properties": {"amount": 20}}]}}  # fmt: skip
    assert "sk-12345" not in "".join(p.read_text() for p in cases.iterdir())
    settings = tmp_path / "settings.json"
    settings.write_text('{"apiKey": "x"}')
    local = cli(
        "test", str(tmp_path / "orders.js"), "--tests", str(cases), "--settings", str(settings)
    )
    assert local.returncode == 1 and local.stdout.endswith("1 passed, 1 failed\n")


def test_push_deploy_is_refused_by_a_failing_test_unless_deployed_anyway(
    cli, function, tmp_path, celery_worker
):
    code = tmp_path / "orders.js"
    code.write_text(CODE)
    refused = cli("push", str(code), "--function", "orders", "--deploy")
    assert refused.returncode == 1
    assert "1 of 2 saved tests fail" in refused.stderr
    assert (
        "FAIL wrong amount: 25!\n    events[0].properties.amount: expected 25, got 20"
        in refused.stderr
    )
    assert not function.versions.exists()

    anyway = cli("push", str(code), "--function", "orders", "--deploy", "--deploy-anyway", "known")
    assert anyway.returncode == 0, anyway.stderr
    assert (
        AuditEntry.objects.get(action="function.deploy_anyway").details["deploy_anyway_reason"]
        == "known"
    )
