"""A production-configured deployment on this machine, for fault tests and benchmarks:
its own PostgreSQL database and Redis database, a Daphne server and Celery worker
processes, each a real subprocess that a test can kill."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def reachable(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=0.5).close()
        return True
    except OSError:
        return False


def require_services() -> None:
    """Skip on a machine without PostgreSQL and Redis; CI (REQUIRE_SERVICES=1) fails."""
    if reachable(PG) and reachable(REDIS):
        return
    message = "needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379"
    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """`redis_db` picks a database of the machine's Redis; `own_redis` starts a Redis of
    the stack's own instead, one a test may restart. `database_port` lets the stack
    reach PostgreSQL through a proxy a test can cut."""

    def __init__(
        self,
        tmp_path: Path,
        name: str,
        redis_db: int = 0,
        *,
        own_redis: bool = False,
        database_port: int = PG[1],
        **settings: str,
    ) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.logs = tmp_path
        self.redis_port = free_port() if own_redis else REDIS[1]
        self.redis: subprocess.Popen | None = self.start_redis() if own_redis else None
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{database_port}/{name}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/{0 if own_redis else redis_db}",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SETTINGS_ENCRYPTION_KEY": secrets.token_urlsafe(32),
            "DATA_DIR": str(tmp_path),
            "CELERY_EMBEDDED_WORKER": "0",
            "PUBLIC_URL": self.url,
            "STATIC_MANIFEST": "0",
            "LOG_LEVEL": "WARNING",
            **settings,
        }

    # --- set-up ---------------------------------------------------------------------

    def create(self) -> None:
        """A fresh database and Redis db, migrated."""
        import psycopg
        import redis

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{self.name}"')
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        self.manage("migrate", "--noinput")

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def owner_token(self, workspace: str = "acme") -> str:
        out = self.manage("createworkspace", workspace, "--owner", f"owner@{workspace}.example")
        return out.strip().splitlines()[-1].removeprefix("token: ")

    # --- processes ------------------------------------------------------------------

    def start_redis(self) -> subprocess.Popen:
        redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.logs)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.wait_until(lambda: reachable(("127.0.0.1", self.redis_port)), what="Redis")
        return redis

    def restart_redis(self, down_for: float = 2.0) -> None:
        """Kill the stack's Redis (everything queued in it is lost) and start a new one."""
        self.redis.kill()
        self.redis.wait()
        time.sleep(down_for)
        self.redis = self.start_redis()

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches the pool children
        )  # fmt: skip
        process.log_name = name
        self.processes.append(process)
        return process

    def start_server(self) -> subprocess.Popen:
        # As production serves it: Daphne with the webhook body guard and its access log.
        server = self._spawn(
            "daphne",
            [
                str(BIN / "python"),
                "manage.py",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
        )
        self.wait_until(lambda: self._answers(), what="the server to answer")
        return server

    def start_worker(
        self, name: str, *, concurrency: int = 2, beat: bool = False
    ) -> subprocess.Popen:
        args = [
            str(BIN / "celery"), "-A", "functions_ide", "worker", "-Q", "default,interactive",
            "--pool", "threads", "-c", str(concurrency), "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
        ]  # fmt: skip
        if beat:
            args += ["-B", "-s", str(self.logs / f"beat-{name}")]
        return self._spawn(f"worker-{name}", args)

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """kill -9 the process and its pool children, as a crash would."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()

    def log(self, process: subprocess.Popen) -> str:
        return (self.logs / f"{process.log_name}.log").read_text(errors="replace")

    def diagnosis(self, lines: int = 40) -> str:
        """What a failed fault test needs to be understood: where the ingest events are,
        and the end of every process's log."""
        import psycopg

        url = f"postgresql://postgres@127.0.0.1:{PG[1]}/{self.name}"
        with psycopg.connect(url) as db:
            statuses = db.execute(
                "SELECT status, count(*) FROM ingest_ingestevent GROUP BY status"
            ).fetchall()
        parts = [f"ingest events by status: {dict(statuses)}"]
        for process in self.processes:
            tail = self.log(process).splitlines()[-lines:]
            parts.append(f"--- {process.log_name} (exit {process.poll()}) ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def settled(self) -> bool:
        """Nothing is left to run: no ingest event is pending or running, and no task
        waits in the broker. A duplicate would have been stored by now."""
        import psycopg
        import redis

        url = f"postgresql://postgres@127.0.0.1:{PG[1]}/{self.name}"
        with psycopg.connect(url) as db:
            [busy] = db.execute(
                "SELECT count(*) FROM ingest_ingestevent WHERE status IN ('pending', 'running')"
            ).fetchone()
        broker = redis.Redis.from_url(self.env["REDIS_URL"])
        queued = sum(
            broker.llen(key)
            for queue in ("default", "interactive")
            for key in broker.scan_iter(match=f"{queue}*", _type="list")
        )
        return busy == 0 and queued == 0

    # --- talking to it ----------------------------------------------------------------

    def _answers(self) -> bool:
        try:
            return httpx.get(self.url + "/login/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def api(self, token: str, workspace: str = "acme") -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/api/v1/workspaces/{workspace}/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    @staticmethod
    def wait_until(predicate, *, timeout: float = 60.0, what: str = "a condition") -> None:
        wait_until(predicate, timeout, interval=0.2, what=what)


def connect_source(api: httpx.Client, code: str, name: str = "Orders") -> dict:
    """Create, deploy and connect a function with this code; return the source."""
    function = api.post("functions/", json={"name": name, "code": code})
    assert function.status_code == 201, function.text
    function_id = function.json()["id"]
    deployed = api.post(f"functions/{function_id}/deploy/", json={"message": "v1"})
    assert deployed.status_code == 201, deployed.text
    source = api.post("sources/", json={"function": function_id, "name": f"{name} in"})
    assert source.status_code == 201, source.text
    return source.json()
