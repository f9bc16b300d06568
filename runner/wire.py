"""Length-prefixed JSON frames over a pipe, between a pool and its sandbox process.

A frame is a 4-byte big-endian length and that many bytes of JSON (ASCII: lone
surrogates a function may log survive the trip). Reads take an optional deadline so the
parent never waits forever on a child that stopped answering.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

HEADER = struct.Struct(">I")
CHUNK = 1 << 20


class Silent(Exception):
    """Nothing arrived before the deadline."""


def send(fd: int, message: Any) -> None:
    data = json.dumps(message, separators=(",", ":")).encode("ascii")
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class Reader:
    """Reads frames from one file descriptor, keeping what arrived past a frame."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)

    def read(self, deadline: float | None = None) -> Any:
        """The next frame; EOFError when the other side is gone, Silent past the deadline."""
        while True:
            frame = self._frame()
            if frame is not None:
                return json.loads(frame)
            self._wait(deadline)
            chunk = os.read(self.fd, CHUNK)
            if not chunk:
                raise EOFError
            self._buffer += chunk

    def _frame(self) -> bytes | None:
        if len(self._buffer) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self._buffer)
        end = HEADER.size + size
        if len(self._buffer) < end:
            return None
        frame = bytes(self._buffer[HEADER.size : end])
        del self._buffer[:end]
        return frame

    def _wait(self, deadline: float | None) -> None:
        if deadline is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self._poll.poll(max(1, int(remaining * 1000))):
            raise Silent
