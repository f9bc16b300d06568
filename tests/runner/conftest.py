"""Helpers for the runner tests: plain pytest, no database."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from runner import IsolatePool, normalize_request
from runner.engine import Isolate

SAMPLES = Path(__file__).parent / "samples"
ROOT = Path(__file__).resolve().parents[2]


def run_cli(
    tmp_path: Path, code: str, *args: str, request: str = '{"body": {}}', env=None
) -> subprocess.CompletedProcess:
    """`python -m runner run function.js --request request.json ARGS`, as a user runs it:
    the code and the request (JSON text) written to files of tmp_path first."""
    function, request_file = tmp_path / "function.js", tmp_path / "request.json"
    function.write_text(code)
    request_file.write_text(request)
    command = ["run", str(function), "--request", str(request_file), *args]
    return subprocess.run(
        [sys.executable, "-m", "runner", *command],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


@pytest.fixture
def isolates_made(monkeypatch):
    made = []
    original = Isolate.__init__

    def counting(self, **kwargs):
        made.append(1)
        original(self, **kwargs)

    monkeypatch.setattr(Isolate, "__init__", counting)
    return made


@pytest.fixture(scope="module")
def pool():
    pool = IsolatePool(max_isolates=4)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def inline_pool():
    """V8 in the test process itself: for tests that patch the fetch bridge's Python."""
    pool = IsolatePool(max_isolates=4, isolation="inline")
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def private_pool():
    """The operator setting that lets fetch reach loopback (the local test server)."""
    pool = IsolatePool(max_isolates=4, allow_private_network=True)
    yield pool
    pool.close()


def body_request(body=None, **extra) -> dict:
    return normalize_request({"body": body if body is not None else {}, **extra})


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        routes = {
            "/json": lambda: self._send(
                200, b'{"ok": true, "n": 1}', [("Content-Type", "application/json")]
            ),
            "/redirect": lambda: self._send(302, headers=[("Location", "/json")]),
            "/to-private": lambda: self._send(
                302, headers=[("Location", "http://10.0.0.1/secret")]
            ),
            "/to-hook": lambda: self._send(302, headers=[("Location", "/hooks/loop-token")]),
            "/big": lambda: self._send(200, b"x" * (6 * 1024 * 1024)),
            "/headers": lambda: self._send(200, json.dumps(dict(self.headers)).encode()),
        }
        routes.get(self.path, lambda: self._send(404, b"not found"))()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        data = self.rfile.read(length)
        echo = {
            "method": "POST",
            "contentType": self.headers.get("Content-Type"),
            "body": data.decode("latin-1"),
            "authorization": self.headers.get("Authorization"),
        }
        self._send(201, json.dumps(echo).encode(), [("Content-Type", "application/json")])


@pytest.fixture(scope="module")
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def stub_certificate(tmp_path_factory):
    from tests.runner.api_stub import make_certificate

    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def api_stub(stub_certificate):
    """A local https stand-in for an SDK's API (tests/runner/api_stub.py)."""
    from tests.runner.api_stub import start_stub

    stub, server = start_stub(stub_certificate)
    yield stub
    server.shutdown()
    server.server_close()
