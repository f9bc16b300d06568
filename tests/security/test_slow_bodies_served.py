"""Slow and oversized webhook bodies, against the product as it is served (`manage.py
serve`: Daphne reads a whole body before the application sees it, so the guard works
while Daphne reads). Raw sockets, as a hostile sender would use them."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="functions_ide.settings", DATA_DIR=str(tmp),
        SQLITE_PATH=str(tmp / "db.sqlite3"), CELERY_EMBEDDED_WORKER="false",
        STATIC_MANIFEST="false", WEBHOOK_BODY_TIMEOUT_S="1", WEBHOOK_MAX_PENDING_BODIES="5",
        WEBHOOK_MAX_BYTES="100000",
    )  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    with listener:
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--fd", str(listener.fileno())],
            cwd=ROOT, env=env, pass_fds=[listener.fileno()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield port
    serve.terminate()
    serve.wait(timeout=10)


def opened(port: int, head: bytes) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.settimeout(10)
    connection.sendall(head)
    return connection


def webhook_head(length: int | None = None, chunked: bool = False) -> bytes:
    lines = [b"POST /hooks/unknown-token HTTP/1.1", b"Host: 127.0.0.1"]
    lines.append(b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % length)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def status(connection: socket.socket) -> int:
    answer = connection.recv(4096)
    return int(answer.split(b" ", 2)[1])


def test_a_body_that_never_comes_gets_a_408(served):
    started = time.monotonic()
    with opened(served, webhook_head(1000) + b'{"a"') as connection:
        assert status(connection) == 408
    assert time.monotonic() - started < 5


def test_a_declared_size_over_the_limit_gets_a_413_at_once(served):
    with opened(served, webhook_head(3_000_000)) as connection:
        assert status(connection) == 413


def test_a_chunked_body_growing_past_the_limit_gets_a_413_before_it_ends(served):
    with opened(served, webhook_head(chunked=True)) as connection:
        chunk = b"%x\r\n%s\r\n" % (50_000, b"x" * 50_000)
        connection.sendall(chunk * 3)  # 150 KB of a body that never ends
        assert status(connection) == 413


def test_trickling_senders_hold_at_most_the_pending_limit(served):
    trickling = [opened(served, webhook_head(1000) + b"{") for _ in range(5)]
    time.sleep(0.3)
    with opened(served, webhook_head(1000) + b"{") as extra:
        assert status(extra) == 503
    assert [status(connection) for connection in trickling] == [408] * 5
    for connection in trickling:
        connection.close()
    response = httpx.post(f"http://127.0.0.1:{served}/hooks/unknown-token", json={})
    assert response.status_code == 404  # a whole body is read and answered as usual
