"""`functions-cli preview --source S [-n N] [FUNCTION.js]` against a running server and
worker: the summary and the diffs it prints, and its exit status (0 no difference,
1 differences, 2 error)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from ingest import services
from ingest.receive import IncomingWebhook
from tests.factories import bearer, member
from tests.ingest.helpers import source_running

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
CURRENT = """async function onRequest(request) {
  const { n } = request.json();
  Segment.track({ event: 'Order Completed', userId: `u${n}`, properties: { amount: n * 10 } });
}"""
CHANGED = CURRENT.replace("amount: n * 10", "amount: n === 2 ? 0 : n * 10")


@pytest.fixture
def orders(workspace):
    source = source_running(CURRENT, workspace=workspace, slug="orders")
    ids = []
    with mock.patch("ingest.queue.broker"), mock.patch("ingest.queue.execute_soon"):
        for n in range(4):
            incoming = IncomingWebhook(
                "POST", "/hooks/x", "", {"Content-Type": "application/json"},
                json.dumps({"n": n}).encode(),
            )  # fmt: skip
            ids.append(services.webhook_accept(token=source.webhook_token, webhook=incoming))
        services.ingest_events_execute(ingest_event_ids=[a.event.pk for a in ids])
    source.ids = [a.event.pk for a in ids]
    return source


@pytest.fixture
def cli(tmp_path, live_server, workspace, celery_worker):
    config = tmp_path / "config.json"
    # The command of this checkout (python -m), not an installed script's.
    env = {**os.environ, "SOURCE_FN_CONFIG": str(config), "PYTHONPATH": str(ROOT)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "functions_cli.main", *args],
            capture_output=True, text=True, env=env, timeout=90, cwd=ROOT,
        )  # fmt: skip

    def login(user) -> None:
        token = bearer(user, workspace).removeprefix("Bearer ")
        done = run("login", "--url", live_server.url, "--workspace", "acme", "--token", token)
        assert done.returncode == 0, done.stderr

    run.login = login
    return run


def draft(source, code: str) -> None:
    source.function.draft_code = code
    source.function.save(update_fields=["draft_code"])


def test_no_difference_exits_0(cli, owner, orders):
    draft(orders, CURRENT)
    cli.login(owner)
    done = cli("preview", "--source", "orders")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "4 webhooks of orders: 4 same, 0 different",
        "events: 0 changed, 0 new, 0 missing",
        "objects: 0 changed, 0 new, 0 missing",
        "fetch was off: the draft's fetch calls were refused (FetchError), so webhooks whose "
        "run fetches differ for that reason. Allow fetch for this preview to send them for real.",
    ]


def test_differences_exit_1_with_the_diff_of_each_webhook(cli, owner, orders):
    draft(orders, CHANGED)
    cli.login(owner)
    done = cli("preview", "--source", "orders", "-n", "3")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 webhooks of orders: 2 same, 1 different"
    assert lines[1] == "events: 1 changed, 0 new, 0 missing"
    assert lines[4].startswith(f"DIFFERENT webhook #{orders.ids[2]} received ")
    assert lines[4].endswith("(compared with version 1)")
    assert lines[5:] == ["    changed events[0].properties.amount: was 20, now 0"]


def test_a_local_file_is_previewed_instead_of_the_draft(cli, owner, orders, tmp_path):
    draft(orders, CURRENT)
    code = tmp_path / "orders.js"
    code.write_text(CHANGED.replace("n === 2", "n === 3"))
    cli.login(owner)
    done = cli("preview", "--source", "orders", str(code))
    assert done.returncode == 1, done.stderr
    assert f"DIFFERENT webhook #{orders.ids[3]} " in done.stdout


def test_errors_exit_2(cli, owner, workspace, orders, tmp_path):
    assert cli("preview", "--source", "orders").returncode == 2  # not logged in
    cli.login(owner)
    unknown = cli("preview", "--source", "nope")
    assert unknown.returncode == 2 and "No such source" in unknown.stderr
    too_many = cli("preview", "--source", "orders", "-n", "1001")
    assert too_many.returncode == 2 and "between 1 and 1000" in too_many.stderr
    missing = cli("preview", "--source", "orders", str(tmp_path / "missing.js"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    cli.login(member(workspace, "member", "member@acme.example"))
    refused = cli("preview", "--source", "orders")
    assert refused.returncode == 2 and "Only workspace owners" in refused.stderr
