"""Worker benchmark: the CPU of one turn (claim, run, record) of N stored webhooks, in
this process and in its sandbox processes, on PostgreSQL, without a broker or a web
server: what a worker pays per turn, apart from Celery.

    python bench/turn_bench.py [--events 1,16,100] [--turns 200] [--database NAME]

Each turn's webhooks are stored first (not measured), then one turn takes them all.
The webhook and the function are e2e_bench's (a 2.5 KB Stripe charge, one track).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from e2e_bench import FUNCTION, body, children, cpu_seconds  # noqa: E402

DATABASE = "functions_ide_turn_bench"


def prepare(database: str) -> None:
    """A fresh database, migrated, and Django set up on it."""
    for sql in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        subprocess.run(["psql", "-qh", "127.0.0.1", "-U", "postgres", "-c", sql], check=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="functions_ide.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        WEBHOOK_RATE_LIMIT_PER_SECOND="1000000",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    os.environ.setdefault("SETTINGS_ENCRYPTION_KEY", "bench-only-settings-key-" + "x" * 16)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def measure(events: int, turns: int) -> dict[str, float]:
    """Mean ms per turn: CPU here (all threads), CPU of the sandbox processes, wall."""
    from ingest import queue, services
    from ingest.receive.accept import IncomingWebhook
    from tests.factories import SourceFactory

    source = SourceFactory(function__draft_code=FUNCTION)
    headers = {"Content-Type": "application/json"}

    def store() -> None:
        for n in range(events):
            webhook = IncomingWebhook("POST", "/hooks/x", "", headers, body(n))
            services.webhook_accept(token=source.webhook_token, webhook=webhook)

    spent = {"cpu": 0.0, "sandbox": 0.0, "wall": 0.0}
    sandboxes = lambda: sum(cpu_seconds(pid) for pid in children(os.getpid()))  # noqa: E731
    # No broker: turns are called here; nothing is queued by the stores or the turns.
    with mock.patch.object(queue.broker, "send"), mock.patch.object(queue, "execute_soon"):
        store()
        services.ingest_events_execute_next()  # warm: connections, the sandbox, the isolate
        for _ in range(turns):
            store()
            sandbox, cpu, wall = sandboxes(), time.process_time(), time.perf_counter()
            ran = services.ingest_events_execute_next()
            spent["wall"] += time.perf_counter() - wall
            spent["cpu"] += time.process_time() - cpu
            spent["sandbox"] += sandboxes() - sandbox
            assert len(ran) == events, f"a turn ran {len(ran)} of {events} events"
    return {name: seconds / turns * 1000 for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="1,16,100", help="webhooks per turn, e.g. 1,16,100")
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database (dropped!)")
    args = parser.parse_args()
    prepare(args.database)
    print("| webhooks in the turn | CPU of the worker process | of its sandbox | wall |")
    print("|---|---|---|---|")
    for events in [int(n) for n in args.events.split(",")]:
        ms = measure(events, max(10, args.turns * 16 // max(events, 16)))
        print(f"| {events} | {ms['cpu']:.2f} ms | {ms['sandbox']:.2f} ms | {ms['wall']:.2f} ms |")


if __name__ == "__main__":
    main()
