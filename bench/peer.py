"""The peer: a reference webhook pipeline in Node 20 (../shared/peer-ingest/), run under the
same load as the product, for `e2e_bench.py --peer`.

Its two npm packages (pg, isolated-vm) are installed once into a folder of their own
(PEER_MODULES, by default under the system's temporary directory; isolated-vm compiles
from source when no prebuilt binary is reachable, about 40 s). Each run gets a fresh
database from the peer's schema.sql."""

import asyncio
import os
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PEER = Path(os.environ.get("PEER_INGEST", ROOT.parent / "shared" / "peer-ingest"))
PACKAGES = ["pg@8.23.1", "isolated-vm@5.0.4"]
MODULES = Path(os.environ.get("PEER_MODULES", Path(tempfile.gettempdir()) / "peer-ingest-node"))
DATABASE = "peer_bench"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def install() -> Path:
    """The peer's node_modules, installed if missing."""
    marker = MODULES / "node_modules" / ".installed"
    if not marker.exists():
        MODULES.mkdir(parents=True, exist_ok=True)
        (MODULES / "package.json").write_text('{"name": "peer-ingest-bench", "private": true}')
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES],
            cwd=MODULES, check=True,
        )  # fmt: skip
        marker.touch()
    return MODULES / "node_modules"


def database_url() -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"


def create_database(code: str) -> str:
    """A fresh database with the peer's schema and one source running `code`; its token."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    with psycopg.connect(database_url(), autocommit=True) as db:
        db.execute((PEER / "schema.sql").read_text())
        db.execute("INSERT INTO sources (token, code) VALUES ('tok', %s)", [code])
    return "tok"


def drop_database() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def query(sql: str) -> list[tuple]:
    with psycopg.connect(database_url()) as db:
        return db.execute(sql).fetchall()


def run(*, code: str, rate: int, seconds: float, workers: int, warmup_s: float) -> dict:
    """One run against the peer: its server and `workers` worker processes, under the
    product run's own load generator and CPU readers."""
    from e2e_bench import CpuMeter, free_port, load

    node_path = install()
    token = create_database(code)
    port = free_port()
    env = {**os.environ, "NODE_PATH": str(node_path), "DATABASE_URL": database_url(),
           "PORT": str(port)}  # fmt: skip
    logs = tempfile.TemporaryDirectory()
    spawn = lambda name, args: subprocess.Popen(  # noqa: E731
        args, cwd=PEER, env=env, stdout=open(Path(logs.name) / f"{name}.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as the product's processes: each its own session
    )  # fmt: skip
    processes = {"node server": spawn("server", ["node", "server.js"])}
    for i in range(workers):
        processes[f"node worker {i + 1}"] = spawn(
            f"worker{i}", ["node", "--no-node-snapshot", "worker.js"]
        )
    try:
        time.sleep(2)
        path = f"/hooks/{token}"
        warm = asyncio.run(load(port, path, rate, warmup_s, first=10**7))
        _wait(lambda: _stored() >= warm["statuses"].get(200, 0))
        after = query("SELECT coalesce(max(id), 0) FROM webhooks")[0][0]
        meter = CpuMeter(processes, DATABASE)
        result = asyncio.run(load(port, path, rate, seconds))
        accepted = result["statuses"].get(200, 0)
        _wait(lambda: _stored(after) >= accepted)
        cpu = meter.spent()
        delays = query(
            "SELECT EXTRACT(EPOCH FROM (e.received_at - w.received_at)) FROM events e"
            f" JOIN webhooks w ON e.webhook_id = w.id WHERE w.id > {after:d}"
        )
        unique = query(
            f"SELECT count(DISTINCT message_id) FROM events WHERE webhook_id > {after:d}"
        )
        return {**result, "accepted": accepted, "stored": _stored(after), "unique": unique[0][0],
                "delays": [float(d[0]) for d in delays], "cpu": cpu, "tasks": 0,
                "threads": 1}  # fmt: skip
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=10)
        logs.cleanup()
        drop_database()


def _stored(after: int = 0) -> int:
    return query(f"SELECT count(*) FROM events WHERE webhook_id > {after:d}")[0][0]


def _wait(predicate, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the peer did not store every accepted webhook in time")
        time.sleep(0.25)
