"""The browser suite: the real server (`manage.py serve`, Daphne and the embedded Celery
worker) on a free port with its own SQLite file, and Debian's Chromium through
Playwright. Users of every role are made with the management commands, as an operator
would; data the tests only need to exist is made through the REST API."""

import functools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
# `make screenshots` points this at docs/screenshots (the pictures docs/frontend.md shows).
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).parent / "screenshots")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse 42"
# The refusals a test may expect (Chromium logs them to the console): a 400, or the
# deploy gate's 409.
REFUSED = ("the server responded with a status of 400", "the server responded with a status of 409")
USERS = {
    "owner": "owner@acme.example",
    "source_admin": "admin@acme.example",
    "member": "member@acme.example",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _token(output: str) -> str:
    return re.search(r"^token: (\S+)$", output, re.M).group(1)


def _ensure_static(env: dict) -> None:
    """The pages need the built bundles, collected (make test does both first)."""
    if not (ROOT / "frontend/static/dist/editor.js").exists():
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True)
    manifest = ROOT / "staticfiles/staticfiles.json"
    dist = ROOT / "frontend/static/dist/editor.js"
    if not manifest.exists() or manifest.stat().st_mtime < dist.stat().st_mtime:
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not at {CHROMIUM} (apt-get install chromium)")
    data = tmp_path_factory.mktemp("server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="functions_ide.settings",
        DATA_DIR=str(data),
        SQLITE_PATH=str(data / "db.sqlite3"),
        PUBLIC_URL=url,
        RETRY_BACKOFF_BASE_S="0.2",
        RETRY_BACKOFF_CAP_S="1",
        LOG_LEVEL="WARNING",
        # The destination tests deliver to a receiver on this machine.
        DESTINATIONS_ALLOW_PRIVATE_NETWORK="true",
    )
    _ensure_static(env)
    _manage(env, "migrate", "--noinput", "--verbosity", "0")
    owner = _token(
        _manage(env, "createworkspace", "acme", "--owner", USERS["owner"], "--password", PASSWORD)
    )
    for role in ("source_admin", "member"):
        _manage(env, "addmember", "acme", USERS[role], "--role", role, "--password", PASSWORD)
    log = data / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_up(url + "/login/", process, log)
        # manage(*args): a management command on the server's database, as an operator runs it.
        yield {"url": url, "token": owner, "log": log, "manage": functools.partial(_manage, env)}
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and the worker processes it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if sig == signal.SIGTERM:
            # The parent is gone; make sure no pool process outlives it.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The server exited:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("The server did not answer within 30 s")


@pytest.fixture(scope="session")
def owner_api(server):
    """The REST API as the owner (Bearer token), to make data tests only need to exist."""
    with httpx.Client(
        base_url=f"{server['url']}/api/v1/workspaces/acme/",
        headers={"Authorization": f"Bearer {server['token']}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(server, chromium):
    """login(role) -> a logged-in Page at 1280x860; fails the test on console errors
    (but the 400s of login(role, refusals=True), and the statuses=(404, …) a test loads).
    role: one of USERS, or the email of another user whose password is PASSWORD."""
    contexts, problems = [], []

    def make(role: str, *, width: int = 1280, height: int = 860, refusals: bool = False,
             statuses: tuple[int, ...] = (), timezone: str | None = None):  # fmt: skip
        """refusals: the test expects the API to answer 400 (the page shows it in words;
        Chromium still logs the status to the console); statuses: pages it opens that
        answer with these (a 403 or 404 page); timezone: the reader's, e.g. "Pacific/Auckland"."""
        expected = (REFUSED if refusals else ()) + tuple(
            f"the server responded with a status of {status}" for status in statuses
        )
        context = chromium.new_context(
            base_url=server["url"],
            viewport={"width": width, "height": height},
            timezone_id=timezone,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"{role}: {error}"))
        page.on(
            "console",
            lambda m: (
                problems.append(f"{role}: {m.text}")
                if m.type == "error" and not any(r in m.text for r in expected)
                else None
            ),
        )
        page.goto("/login/")
        page.fill("#id_username", USERS.get(role, role))
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/workspaces/")
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "Console errors:\n" + "\n".join(problems)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def create_function(
    api: httpx.Client, name: str, *, template: str = "default", code: str = "", deploy=True
):
    """A function of the template, or of the code given; deployed as v1 unless deploy=False."""
    made = {"name": name, "code": code} if code else {"name": name, "template": template}
    function = api.post("functions/", json=made)
    assert function.status_code == 201, function.text
    function = function.json()
    if deploy:
        done = api.post(f"functions/{function['id']}/deploy/", json={"message": "first"})
        assert done.status_code == 201, done.text
    return function
