"""`manage.py serve` passed Daphne's --proxy-headers always, so any client could name its
own address in X-Forwarded-For: a new address for each guess dodged the login throttle's
per-client count, and the access log showed whatever the client wrote. The headers are
trusted only with TRUST_PROXY_HEADERS (docs/deploy.md), behind a proxy that overwrites
them."""

import re
import subprocess
import sys

import httpx
import pytest

from functions_ide.management.commands.serve import daphne_arguments
from tests.serving import ROOT, manage_py_serve, serve_environment

SPOOFED = [f"203.0.113.{n}" for n in range(1, 5)]


@pytest.mark.parametrize(("trusted", "arguments"), [(False, []), (True, ["--proxy-headers"])])
def test_daphne_reads_proxy_headers_only_when_trusted(settings, trusted, arguments):
    settings.TRUST_PROXY_HEADERS = trusted
    assert daphne_arguments(host="0.0.0.0", port=8000, fd=None) == [
        "-b", "0.0.0.0", "-p", "8000", *arguments, "functions_ide.asgi:application",
    ]  # fmt: skip
    assert daphne_arguments(host="", port=0, fd=3)[:2] == ["--fd", "3"]


def failed_logins(url: str) -> list[int]:
    """One wrong password for each of several accounts, each from a spoofed address."""
    with httpx.Client(base_url=url) as browser:
        form = browser.get("/login/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
        return [
            browser.post(
                "/login/",
                data={"username": f"guess{n}@acme.example", "password": "wrong",
                      "csrfmiddlewaretoken": token},
                headers={"X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(SPOOFED)
        ]  # fmt: skip


@pytest.mark.integration
@pytest.mark.parametrize("trusted", [False, True])
def test_a_spoofed_forwarded_for_names_the_client_only_when_trusted(tmp_path, trusted):
    env = serve_environment(
        tmp_path, TRUST_PROXY_HEADERS="1" if trusted else "0", LOGIN_FAILURES_PER_CLIENT="3"
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "serve.log"
    with manage_py_serve(env, log) as url:
        statuses = failed_logins(url)
    printed = log.read_text()
    if trusted:  # each guess counted for the address the proxy named
        assert statuses == [200, 200, 200, 200]
        assert all(f"{address}:" in printed for address in SPOOFED), printed
    else:  # all counted for the one real client: from the third on, refused
        assert statuses == [200, 200, 429, 429]
        assert "203.0.113." not in printed and "127.0.0.1:" in printed, printed
