"""Issue 18.6: invite tokens and webhook tokens (`/hooks/<token>`, `/hooks/test/<token>`,
invite links) appeared in Daphne's access log. They are logged shortened, `/hooks/abcd…`:
in Daphne's access log under `manage.py serve` (functions_ide/access_log.py) and in
every line of the Python log (functions_ide/log_filters.py).

The last test serves the product with `manage.py serve` in a subprocess and reads what
it printed."""

import io
import logging
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from daphne.access import AccessLogGenerator

from functions_ide.access_log import TokensShortened
from functions_ide.log_filters import ShortenTokens
from tests.serving import ROOT, manage_py_serve, serve_environment

TOKEN = "Zx9pQ2rS5tU8vW1yA4bC7dE0fG3hJ6kL9mN2pQ5rS8t"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/hooks/{TOKEN}", "/hooks/Zx9p…"),
        (f"/hooks/test/{TOKEN}", "/hooks/test/Zx9p…"),
        (f"/invite/{TOKEN}/", "/invite/Zx9p…/"),
    ],
)
def test_daphnes_access_log_shows_paths_with_tokens_shortened(path, shown):
    stream = io.StringIO()
    log = TokensShortened(AccessLogGenerator(stream))
    log("http", "complete", {"client": "203.0.113.7:5000", "method": "POST", "path": path,
                             "status": 200, "size": 12})  # fmt: skip
    log("websocket", "connecting", {"client": "203.0.113.7:5000", "path": path})
    lines = stream.getvalue().splitlines()
    assert f'"POST {shown}" 200 12' in lines[0] and f'"WSCONNECTING {shown}"' in lines[1]
    assert TOKEN not in stream.getvalue()


@pytest.mark.parametrize(
    "path", ["/hooks/./{t}", "/hooks/test//{t}", "/hooks;x/{t}", "/invite//{t}/"]
)
def test_a_token_in_a_mistyped_path_is_shortened_too(path):
    record = logging.LogRecord(
        "django.request", logging.INFO, __file__, 1, "Not Found: %s", (path.format(t=TOKEN),), None
    )
    assert ShortenTokens().filter(record) is True
    assert TOKEN not in record.getMessage() and TOKEN[:4] + "…" in record.getMessage()


def test_a_log_line_with_a_token_is_shortened():
    record = logging.LogRecord(
        "django.request",
        logging.INFO,
        __file__,
        1,
        "Not Found: %s",
        (f"/hooks/test/{TOKEN}",),
        None,
    )
    assert ShortenTokens().filter(record) is True
    assert record.getMessage() == "Not Found: /hooks/test/Zx9p…"


SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("createworkspace", "acme", owner="ada@acme.example", password="correct horse 42")
from catalog.models import Workspace
from catalog.services import member_invite
from django.contrib.auth import get_user_model
from ingest import catcher
from tests.factories import SourceFactory, deployed_function
acme = Workspace.objects.get(slug="acme")
function = deployed_function(workspace=acme)
source = SourceFactory(function=function)
owner = get_user_model().objects.get(username="ada@acme.example")
invite = member_invite(workspace=acme, actor=owner, email="new@acme.example", role="member")
print(source.webhook_token, catcher.catcher_for_function(function=function).token,
      invite.invite_url.rstrip("/").rsplit("/", 1)[1])
"""


@pytest.mark.integration
def test_manage_py_serve_logs_no_token(tmp_path):
    env = serve_environment(tmp_path)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr
    tokens = setup.stdout.split()[-3:]
    log = tmp_path / "serve.log"
    with manage_py_serve(env, log) as url:
        webhook, test_url, invite = tokens
        assert httpx.post(f"{url}/hooks/{webhook}", json={"n": 1}).status_code == 200
        assert httpx.post(f"{url}/hooks/test/{test_url}", json={"n": 1}).status_code == 200
        assert httpx.get(f"{url}/invite/{invite}/").status_code == 200
        assert httpx.get(f"{url}/invite/{TOKEN}/").status_code == 404
        assert httpx.post(f"{url}/hooks/test/{TOKEN}", json={}).status_code == 404
        _wait_for_lines(log)
    printed = log.read_text()
    for token in (*tokens, TOKEN):
        assert token not in printed, printed
    for shown in (f"/hooks/{webhook[:4]}…", f"/hooks/test/{test_url[:4]}…",
                  f"/invite/{invite[:4]}…/", f"/invite/{TOKEN[:4]}…/"):  # fmt: skip
        assert shown in printed, printed
    assert "Traceback" not in printed


def _wait_for_lines(log: Path) -> None:
    """The access log is written as requests complete: wait for the two 404s."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and log.read_text().count('" 404 ') < 2:
        time.sleep(0.05)
