"""The product as it is served: `manage.py serve` in a subprocess, embedded mode on a fresh
SQLite file, on a socket this process bound (no port race)."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


def serve_environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a served product keeping its data in data_dir, without the
    production services the test run may have."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="functions_ide.settings",
        DATA_DIR=str(data_dir),
        SQLITE_PATH=str(data_dir / "db.sqlite3"),
        CELERY_EMBEDDED_WORKER="false",
        STATIC_MANIFEST="false",  # pages without collectstatic
    )
    env.update(overrides)
    return env


@contextmanager
def manage_py_serve(env: dict[str, str], output: Path) -> Iterator[str]:
    """Serve until the block ends; yields the base URL once /healthz answers. What the
    server prints goes to `output` (a file: a full pipe would stall it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with listener, output.open("wb") as printed:
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--fd", str(listener.fileno())],
            cwd=ROOT, env=env, pass_fds=[listener.fileno()], stdout=printed, stderr=printed,
        )  # fmt: skip
    try:
        wait_until(lambda: _answers(url, serve, output), 30, interval=0.1, what="serve to answer")
        yield url
    finally:
        serve.terminate()
        serve.wait(timeout=10)


def _answers(url: str, serve: subprocess.Popen, output: Path) -> bool:
    if serve.poll() is not None:
        raise AssertionError(f"manage.py serve exited: {output.read_text()}")
    try:
        httpx.get(url + "/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True
