"""A real local HTTP server for the HTTP destinations: it records every request and
answers as the test told it (scripted replies first, then its judge, then 200)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b'{"success":true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, judge: Callable[[Received], Reply] | None = None, host="127.0.0.1") -> None:
        self.host = host
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)
        self.received: list[Received] = []
        self.replies: list[Reply] = []
        self.judge = judge

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def answer(self, received: Received) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        return self.judge(received) if self.judge else Reply()

    def handle_error(self, request, client_address):
        pass  # a client that gave up (the timeout test) is expected


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self):  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        received = Received(self.path, headers, body)
        self.server.received.append(received)
        reply = self.server.answer(received)
        time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in {"Content-Type": "application/json", **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, *args):
        pass


def serve(receiver: Receiver):
    """Run receiver in a thread until the generator is closed (a fixture's body)."""
    # A short poll: shutdown() waits for it, at every test's end.
    thread = threading.Thread(target=receiver.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()
