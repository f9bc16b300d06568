"""A local stand-in for the HTTP APIs the SDKs of Segment's runtime call, and the CLI run
the library tests go through (`python -m runner run`, as ARCHITECTURE.md fixes it)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Seen:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


@dataclass
class ApiStub:
    """Answers `routes[(METHOD, path)]` as (status, JSON body); records every request."""

    url: str = ""
    routes: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.routes[(method, path)] = (status, body)

    def only(self) -> Seen:
        assert len(self.seen) == 1, [(s.method, s.path) for s in self.seen]
        return self.seen[0]


def _handler(stub: ApiStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            stub.seen.append(Seen(self.command, parts.path, parse_qs(parts.query), headers, body))
            status, answer = stub.routes.get(
                (self.command, parts.path), (404, {"error": "no route"})
            )
            data = b"" if answer is None else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    return Handler


def make_certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (key and certificate in one file), for a
    stub the SDKs reach over https as they reach their real APIs."""
    pem = folder / "stub.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(pem), "-out", str(pem)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return pem


def start_stub(certificate: Path | None = None) -> tuple[ApiStub, ThreadingHTTPServer]:
    """A stub on a free loopback port, over TLS when given a certificate."""
    stub = ApiStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    scheme = "http"
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stub.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    return stub, server


def run_cli(
    tmp_path: Path,
    code: str,
    *,
    body: Any = None,
    settings: dict[str, Any] | None = None,
    private_network: bool = False,
    trust: Path | None = None,
    secrets: tuple[str, ...] = (),
    timeout_ms: int = 5000,
) -> dict[str, Any]:
    """Run FUNCTION.js through `python -m runner run`; the printed Result, plus `exit`.
    `trust`: a certificate the run's TLS accepts (the stub's)."""
    function = tmp_path / "function.js"
    function.write_text(code)
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps({"method": "POST", "url": "https://example.com/hook", "body": body or {}})
    )
    args = ["run", str(function), "--request", str(request), "--timeout-ms", str(timeout_ms)]
    if settings is not None:
        (tmp_path / "settings.json").write_text(json.dumps(settings))
        args += ["--settings", str(tmp_path / "settings.json")]
    for name in secrets:
        args += ["--secret", name]
    env = {k: v for k, v in os.environ.items() if k != "RUNNER_ALLOW_PRIVATE_NETWORK"}
    if private_network:
        env["RUNNER_ALLOW_PRIVATE_NETWORK"] = "1"  # the operator switch: reach the loopback stub
    if trust is not None:
        env["SSL_CERT_FILE"] = str(trust)  # the stub's certificate, for this run only
    proc = subprocess.run(
        [sys.executable, "-m", "runner", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.count("\n") == 1, (proc.stdout, proc.stderr)
    result = json.loads(proc.stdout)
    result["exit"] = proc.returncode
    return result


def track_value(result: dict[str, Any]) -> Any:
    """The `v` property of the one track event the probe functions send."""
    assert result["error"] is None, result["error"]
    assert len(result["events"]) == 1, result["events"]
    return result["events"][0]["properties"]["v"]
