"""Through a real Daphne server: an editor logged in over HTTP opens the catcher's
websocket, a sender POSTs to the function's test URL from outside, and the capture
arrives on the socket. The server runs in a subprocess on a fresh SQLite file; with
REDIS_URL set (the CI's second run) it uses the Redis channel layer."""

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "ada@acme.example", "correct horse 42"

SETUP = f"""
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("createworkspace", "acme", owner="{EMAIL}", password="{PASSWORD}")
from catalog.models import Function, Workspace
function = Function.objects.create(workspace=Workspace.objects.get(slug="acme"), name="Stripe",
                                   slug="stripe", draft_code="async function onRequest() {{}}")
print(json.dumps({{"function": function.pk}}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A Daphne serving the project on a socket this process bound (no port race)."""
    data = tmp_path_factory.mktemp("daphne")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="functions_ide.settings",
        DATA_DIR=str(data),
        SQLITE_PATH=str(data / "db.sqlite3"),
        CHANNELS_PREFIX=f"daphne-test-{uuid.uuid4().hex[:8]}",
        CELERY_EMBEDDED_WORKER="false",
        STATIC_MANIFEST="false",  # pages without collectstatic
        PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    setup = subprocess.run(
        [sys.executable, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr
    function_id = json.loads(setup.stdout.strip().splitlines()[-1])["function"]

    log = data / "daphne.log"
    with listener, log.open("wb") as output:  # a file: a full pipe would stall Daphne
        daphne = subprocess.Popen(
            [sys.executable, "-m", "daphne", "--fd", str(listener.fileno()), "-v", "0",
             "functions_ide.asgi:application"],
            cwd=ROOT, env=env, pass_fds=[listener.fileno()], stdout=output, stderr=output,
        )  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/login/", daphne, log)
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "function": function_id}
    finally:
        daphne.terminate()
        daphne.wait(timeout=5)


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Daphne exited: {log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("Daphne did not answer within 10 s")


async def log_in(http: httpx.AsyncClient) -> str:
    form = await http.get("/login/")
    assert form.status_code == 200, form.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    done = await http.post(
        "/login/", data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    assert done.status_code == 302, done.text
    return http.cookies["sessionid"]


async def open_socket(server, path: str, session: str | None):
    headers = {"Cookie": f"sessionid={session}"} if session else {}
    url = f"ws://127.0.0.1:{server['port']}{path}"
    return await connect(url, origin=server["url"], additional_headers=headers, open_timeout=5)


async def receive(editor) -> dict:
    return json.loads(await asyncio.wait_for(editor.recv(), 5))


async def test_a_post_from_outside_reaches_the_connected_editor(server):
    path = f"/ws/functions/{server['function']}/catcher/"
    async with httpx.AsyncClient(base_url=server["url"]) as http:
        with pytest.raises(InvalidStatus) as refused:
            await open_socket(server, path, None)
        assert refused.value.response.status_code == 403

        session = await log_in(http)
        catcher = await http.get(f"/api/v1/workspaces/acme/functions/{server['function']}/catcher/")
        assert catcher.status_code == 200, catcher.text
        editor = await open_socket(server, path, session)
        assert await receive(editor) == {"type": "captures", "captures": []}

    async with httpx.AsyncClient() as sender:  # no session: an upstream tool
        sent = await sender.post(catcher.json()["url"] + "?from=stripe", json={"id": "evt_1"})
    assert sent.status_code == 200, sent.text

    message = await receive(editor)
    assert message["type"] == "capture"
    assert message["capture"]["id"] == sent.json()["id"]
    assert message["capture"]["request"]["body"] == {"id": "evt_1"}
    assert message["capture"]["query_string"] == "from=stripe"
    await editor.close()


async def test_an_unknown_websocket_path_reaches_the_client_as_4404(server):
    socket = await open_socket(server, "/ws/nope/", None)
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
