"""`functions-cli` against a running server: login, logs, replay, push, pull, run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest import services
from tests.factories import bearer
from tests.ingest.helpers import TRACK_AND_SET, post_webhook, source_running

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
CLI = Path(sys.executable).parent / "functions-cli"
BROKEN = (
    "async function onRequest() {"
    " console.log('mapping'); throw new ValidationError('no customer'); }"
)


@pytest.fixture
def cli(tmp_path, monkeypatch):
    config = tmp_path / "config.json"

    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "SOURCE_FN_CONFIG": str(config)}
        return subprocess.run(
            [str(CLI), *args], capture_output=True, text=True, env=env, timeout=60
        )

    run.config = config
    return run


@pytest.fixture
def logged_in(cli, live_server, owner, workspace):
    token = bearer(owner, workspace).removeprefix("Bearer ")
    done = cli("login", "--url", live_server.url, "--workspace", "acme", "--token", token)
    assert done.returncode == 0, done.stderr
    return cli


def test_login_saves_whose_token_it_is(logged_in, cli):
    saved = json.loads(cli.config.read_text())
    assert saved["user"] == "owner@acme.example" and saved["workspace"] == "acme"
    assert os.stat(cli.config).st_mode & 0o077 == 0  # private: it holds a token


def test_login_says_who_and_refuses_another_users_name(cli, live_server, owner, workspace):
    token = bearer(owner, workspace).removeprefix("Bearer ")
    args = ("login", "--url", live_server.url, "--workspace", "acme", "--token", token)
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    assert f"Logged in to {live_server.url} as owner@acme.example (owner)" in done.stdout
    cli.config.unlink()
    refused = cli(*args, "--user", "someone@else.example")
    assert refused.returncode == 1
    assert "This token is owner@acme.example's, not someone@else.example's" in refused.stderr
    assert not cli.config.exists()


def executed(client, source, times=1):
    from unittest import mock

    with mock.patch("ingest.queue.execute_soon"), mock.patch("ingest.queue.deliver"):
        for _ in range(times):
            services.ingest_event_execute(ingest_event_id=post_webhook(client, source).json()["id"])


def test_logs_prints_the_latest_executions(logged_in, client, workspace):
    good = source_running(TRACK_AND_SET, workspace=workspace, slug="stripe-live")
    executed(client, good, times=3)
    done = logged_in("logs", "--source", "stripe-live", "-n", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2 and all("SUCCEEDED" in line and "1 events" in line for line in lines)


def test_logs_show_errors_with_their_line_and_console_output(logged_in, client, workspace):
    bad = source_running(BROKEN, workspace=workspace, slug="broken")
    executed(client, bad)
    done = logged_in("logs", "--source", "broken")
    assert "FAILED" in done.stdout
    assert "ValidationError: no customer (line 1" in done.stdout
    assert "[log] mapping" in done.stdout


def test_replay_all(logged_in, client, workspace):
    bad = source_running(BROKEN, workspace=workspace, slug="broken")
    executed(client, bad, times=2)
    from unittest import mock

    with mock.patch("ingest.queue.execute_soon"):
        done = logged_in("replay", "--source", "broken", "--all")
    assert done.returncode == 0, done.stderr
    assert "Replaying 2 dead letters: " in done.stdout


def test_push_pull_and_deploy(logged_in, tmp_path, owner, workspace):
    from tests.factories import deployed_function

    deployed_function(workspace=workspace, slug="orders")
    code = tmp_path / "orders.js"
    code.write_text("async function onRequest(request) { console.log('v2'); }\n")
    pushed = logged_in("push", str(code), "--function", "orders", "--deploy", "--message", "v2")
    assert pushed.returncode == 0, pushed.stderr
    assert "deployed version 2" in pushed.stdout
    out = tmp_path / "pulled.js"
    pulled = logged_in("pull", "--function", "orders", "--version", "2", "-o", str(out))
    assert pulled.returncode == 0, pulled.stderr
    assert out.read_text() == code.read_text()


def test_unknown_source_bad_token_and_missing_config(logged_in, cli, tmp_path):
    unknown = logged_in("logs", "--source", "nope")
    assert unknown.returncode == 1 and "No such source" in unknown.stderr
    config = json.loads(cli.config.read_text())
    cli.config.write_text(json.dumps({**config, "token": "sfi_wrong"}))
    refused = cli("logs", "--source", "nope")
    assert refused.returncode == 1 and "refused the token" in refused.stderr
    cli.config.unlink()
    missing = cli("logs", "--source", "nope")
    assert missing.returncode == 1 and "functions-cli login" in missing.stderr


def test_run_delegates_to_the_local_runner(cli, tmp_path):
    function = tmp_path / "f.js"
    function.write_text(
        "async function onRequest(request) {"
        " Segment.identify({ userId: request.json().id, traits: { plan: 'pro' } }); }"
    )
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"payload": {"body": {"id": "u_1"}, "headers": {}}}))
    done = cli("run", str(function), "--request", str(request))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["events"][0]["type"] == "identify" and result["events"][0]["userId"] == "u_1"
