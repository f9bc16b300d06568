"""Framing of the pool <-> sandbox pipe: the hand-made length-prefixed JSON frames
runner.wire had (kept here as HAND_MADE) against multiprocessing.connection (its own
length prefix; with JSON, what runner.wire uses now, or pickle), with a child process
echoing frames back, as a sandbox answers its pool.

    python bench/wire_bench.py [--rounds 3000]

Each row is one round trip (parent sends, child reads, decodes, encodes and answers the
same message).
"JSON" rows encode with json in both cases (the sandbox protocol is JSON, so a log line
with a lone surrogate survives); the "pickle" row is multiprocessing's default.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# runner/wire.py as it was: a 4-byte big-endian length, then ASCII JSON.
HAND_MADE = r"""
import json, os, struct
HEADER = struct.Struct(">I")
CHUNK = 1 << 20

def send(fd, message):
    data = json.dumps(message, separators=(",", ":")).encode("ascii")
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]

class Reader:
    def __init__(self, fd):
        self.fd, self._buffer = fd, bytearray()

    def read(self):
        while True:
            if len(self._buffer) >= HEADER.size:
                (size,) = HEADER.unpack_from(self._buffer)
                end = HEADER.size + size
                if len(self._buffer) >= end:
                    frame = bytes(self._buffer[HEADER.size:end])
                    del self._buffer[:end]
                    return json.loads(frame)
            chunk = os.read(self.fd, CHUNK)
            if not chunk:
                raise EOFError
            self._buffer += chunk
"""
exec(HAND_MADE)

ECHO = (
    HAND_MADE
    + r"""
import sys
from multiprocessing.connection import Connection
kind, inbound, outbound = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
if kind == "hand-made":
    reader = Reader(inbound)
    while True:
        try:
            send(outbound, reader.read())
        except EOFError:
            break
else:
    rx, tx = Connection(inbound, writable=False), Connection(outbound, readable=False)
    while True:
        try:
            if kind == "pickle":
                tx.send(rx.recv())
            else:
                data = json.loads(rx.recv_bytes())
                tx.send_bytes(json.dumps(data, separators=(",", ":")).encode("ascii"))
        except EOFError:
            break
"""
)

REQUEST = {
    "method": "POST",
    "url": "https://example.com/hooks/abc?x=1",
    "headers": [["content-type", "application/json"], ["user-agent", "Stripe/1.0"]],
    "raw_body": json.dumps({"id": "evt_1", "type": "charge.succeeded", "amount": 2000}),
}
RESULT = {
    "events": [{"type": "track", "event": "Order Completed", "userId": "u1",
                "properties": {"amount": 20}, "messageId": "m" * 36, "timestamp": "t" * 24}],
    "objects": [], "logs": [{"level": "log", "message": "ok"}], "error": None,
    "fetches": [], "duration_ms": 0.5,
}  # fmt: skip


def message(batch: int, body_bytes: int) -> dict:
    request = dict(REQUEST, raw_body="x" * body_bytes) if body_bytes else REQUEST
    return {
        "key": "version-1",
        "code": "async function onRequest() {}" * 20,
        "invocations": [[request, {"apiKey": "k"}, f"e{i}"] for i in range(batch)],
        "legacy": False,
        "timeout_ms": 1000,
        "results": [[i, RESULT] for i in range(batch)],
    }


def start(kind: str) -> tuple[subprocess.Popen, int, int]:
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", ECHO, kind, str(ROOT), str(to_child_r), str(from_child_w)],
        pass_fds=(to_child_r, from_child_w),
    )
    os.close(to_child_r)
    os.close(from_child_w)
    return child, to_child_w, from_child_r


def run(kind: str, payload: dict, rounds: int) -> float:
    child, out, inbound = start(kind)
    if kind == "hand-made":
        reader = Reader(inbound)  # noqa: F821 (defined by exec(HAND_MADE))

        def trip() -> None:
            send(out, payload)  # noqa: F821
            reader.read()
    else:
        tx, rx = Connection(out, readable=False), Connection(inbound, writable=False)

        def trip() -> None:
            if kind == "pickle":
                tx.send(payload)
                rx.recv()
            else:
                tx.send_bytes(json.dumps(payload, separators=(",", ":")).encode("ascii"))
                json.loads(rx.recv_bytes())

    for _ in range(200):
        trip()
    started = time.perf_counter()
    for _ in range(rounds):
        trip()
    per_trip_us = (time.perf_counter() - started) / rounds * 1e6
    if kind == "hand-made":
        os.close(out)
        child.wait()
        os.close(inbound)
    else:
        tx.close()
        child.wait()
        rx.close()
    return per_trip_us


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    args = parser.parse_args()
    cases = {
        "one execution": message(1, 0),
        "a batch of 50": message(50, 0),
        "one 1 MB body": message(1, 1 << 20),
    }
    print("| frame | hand-made (JSON) | multiprocessing.connection (JSON) | (pickle) |")
    print("|---|---|---|---|")
    for name, payload in cases.items():
        rounds = args.rounds if "MB" not in name else max(50, args.rounds // 30)
        times = [run(kind, payload, rounds) for kind in ("hand-made", "json", "pickle")]
        print(f"| {name} | " + " | ".join(f"{t:.0f} µs" for t in times) + " |")


if __name__ == "__main__":
    main()
