"""A 403 is an answer the product gives on purpose (who may not, does not): the served
product's log has one line for it, never a traceback. Every kind of refusal a member
meets: a page, the API with a token and with the session, the editor's scratch Run, a
write without its CSRF token; and a 404 alike."""

import re
import subprocess
import sys
import time

import httpx
import pytest

from tests.serving import ROOT, manage_py_serve, serve_environment

pytestmark = pytest.mark.integration
PASSWORD = "correct horse 42"


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def logged_in(url: str, email: str) -> httpx.Client:
    session = httpx.Client(base_url=url, headers={"Referer": f"{url}/"})
    form = session.get("/login/").text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    done = session.post(
        "/login/", data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    assert done.status_code == 302, done.text
    return session


def test_refusals_are_one_line_each_without_traceback(tmp_path):
    env = serve_environment(tmp_path, LOG_LEVEL="INFO")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "createworkspace", "acme", "--owner", "ada@acme.example", "--password", PASSWORD)
    printed = manage(env, "addmember", "acme", "bob@acme.example", "--role", "member",
                     "--password", PASSWORD)  # fmt: skip
    token = re.search(r"^token: (\S+)$", printed, re.M).group(1)
    log = tmp_path / "serve.log"
    with manage_py_serve(env, log) as url:
        member = logged_in(url, "bob@acme.example")
        csrf = {"X-CSRFToken": member.cookies["csrftoken"]}
        bearer = {"Authorization": f"Bearer {token}"}
        refused = [
            member.get("/workspaces/acme/functions/new/"),
            member.post("/api/v1/workspaces/acme/functions/", json={"name": "x"}, headers=csrf),
            member.post(
                "/workspaces/acme/functions/new/test/",
                json={"code": "", "request": {}},
                headers=csrf,
            ),
            httpx.post(
                f"{url}/api/v1/workspaces/acme/functions/", json={"name": "x"}, headers=bearer
            ),
            member.post("/api/v1/workspaces/acme/functions/", json={"name": "x"}),  # no CSRF
        ]
        assert [r.status_code for r in refused] == [403] * 5
        assert member.get("/workspaces/nope/functions/").status_code == 404
        _wait_for(log, '" 404 ')
    printed = log.read_text()
    assert "Traceback" not in printed, printed
    assert printed.count(" 403 ") == 5, printed  # the access log's lines
    refusal_lines = [line for line in printed.splitlines() if "Forbidden" in line]
    assert len(refusal_lines) == 5, printed
    assert all(" ERROR " not in line for line in refusal_lines), printed


def _wait_for(log, text: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and text not in log.read_text():
        time.sleep(0.05)
