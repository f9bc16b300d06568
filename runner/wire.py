"""JSON messages over a pipe, between a pool and its sandbox process, framed by
multiprocessing.connection (a length prefix, then the bytes).

The frames were made by hand before. bench/wire_bench.py measured both (a round trip
through a child that decodes and echoes each message; best of four runs on a shared,
loaded 2-core machine): a one-execution message 215 µs by hand against 128 µs here, a
batch of 50 2.0 ms against 2.6 ms, a 1 MB body 21.8 ms against 20.4 ms, each within
the noise of the other runs but the first. The hand-made framing was not measurably
faster (slower on the one-execution message most calls are: its reader allocated 1 MB
for every read), so the standard library's is used.

JSON, not pickle (which measured 2-8x faster still): the parent must never unpickle
what a process running untrusted code wrote. ASCII JSON, so the lone surrogates a
function may log survive the trip.

Reads take an optional deadline so the parent never waits forever on a child that
stopped answering. The deadline covers the wait for a frame to start; a child writes a
frame in one loop once it is serialised, and one that dies midway gives EOFError.
"""

from __future__ import annotations

import json
import time
from multiprocessing.connection import Connection
from typing import Any


class Silent(Exception):
    """Nothing arrived before the deadline."""


class Writer:
    """Sends messages on a file descriptor it owns (closing it is the other side's EOF)."""

    def __init__(self, fd: int) -> None:
        self._connection = Connection(fd, readable=False)

    def send(self, message: Any) -> None:
        self._connection.send_bytes(json.dumps(message, separators=(",", ":")).encode("ascii"))

    def close(self) -> None:
        self._connection.close()


class Reader:
    """Reads messages from a file descriptor it owns."""

    def __init__(self, fd: int) -> None:
        self._connection = Connection(fd, writable=False)

    def read(self, deadline: float | None = None) -> Any:
        """The next message; EOFError when the other side is gone, Silent past the deadline."""
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._connection.poll(remaining):
                raise Silent
        return json.loads(self._connection.recv_bytes())

    def close(self) -> None:
        self._connection.close()
