"""Slow and oversized webhook bodies, against the product as it is served (`manage.py
serve`: Daphne reads a whole body before the application sees it, so the guard works
while Daphne reads). Raw sockets, as a hostile sender would use them."""

import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.serving import ROOT, manage_py_serve, serve_environment

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    env = serve_environment(
        tmp, WEBHOOK_BODY_TIMEOUT_S="1", WEBHOOK_MAX_PENDING_BODIES="5", WEBHOOK_MAX_BYTES="100000"
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    with manage_py_serve(env, tmp / "serve.log") as url:
        yield int(url.rsplit(":", 1)[1])


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
