"""The links the product prints and shows name the address it is served on: PUBLIC_URL,
else the address `manage.py serve` listens on, which `manage.py addmember` run beside it
uses too (its invite link used to name port 8000 whatever the server's port)."""

import re
import subprocess
import sys

import httpx
import pytest

from functions_ide import served
from tests.serving import ROOT, manage_py_serve, serve_environment

pytestmark = pytest.mark.integration


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def env(tmp_path):
    """A product of its own, with no PUBLIC_URL (the test run's environment may have one)."""
    env = serve_environment(tmp_path)
    env.pop("PUBLIC_URL", None)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "createworkspace", "acme", "--owner", "ada@acme.example", "--password", "pw 42 pw")
    return env


def test_addmember_links_to_the_server_that_runs(env, tmp_path):
    with manage_py_serve(env, tmp_path / "serve.log") as url:
        printed = manage(env, "addmember", "acme", "new@acme.example", "--role", "member")
        invite = re.search(r"^invite: (\S+)$", printed, re.M).group(1)
        assert invite.startswith(f"{url}/invite/"), (invite, url)
        assert httpx.get(invite).status_code == 200  # the link works as printed
    assert f"Webhook, test and invite URLs name {url}" in (tmp_path / "serve.log").read_text()


def test_the_server_shows_its_own_address_in_webhook_urls(env, tmp_path):
    token = re.search(r"^token: (\S+)$", manage(env, "addmember", "acme", "ada@acme.example",
                                                "--role", "owner"), re.M).group(1)  # fmt: skip
    with manage_py_serve(env, tmp_path / "serve.log") as url:
        api = httpx.Client(base_url=f"{url}/api/v1/workspaces/acme/",
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        function = api.post("functions/", json={"name": "Hook", "template": "default"}).json()
        assert api.get(f"functions/{function['id']}/catcher/").json()["url"].startswith(url)


def test_public_url_wins_over_the_served_address(env, tmp_path):
    env["PUBLIC_URL"] = "https://fn.example.com"
    with manage_py_serve(env, tmp_path / "serve.log"):
        printed = manage(env, "addmember", "acme", "new@acme.example", "--role", "member")
    assert "invite: https://fn.example.com/invite/" in printed


@pytest.mark.parametrize(
    ("host", "url"),
    [("127.0.0.1", "http://127.0.0.1:9000"), ("0.0.0.0", "http://127.0.0.1:9000"),
     ("::", "http://[::1]:9000"), ("fn.internal", "http://fn.internal:9000")],
)  # fmt: skip
def test_a_listening_address_as_a_url(host, url):
    assert served.url_of(host, 9000) == url


def test_no_recorded_address_is_no_address(tmp_path):
    assert served.recorded(tmp_path) == ""
    served.record(tmp_path, "http://127.0.0.1:9000")
    assert served.recorded(tmp_path) == "http://127.0.0.1:9000"
