"""Warehouse load benchmark: rows per second loading one batch of 1,000 tracks (one
event name, a dozen properties) and 1,000 objects, into PostgreSQL and into DuckDB.

Each round loads a new batch (new message and object ids) into tables that already
exist, as a destination does after its first batch; the first round, which creates the
tables, is reported apart. A track is two rows (the `tracks` table and its event's
table), so a batch is 3,000 rows.

    python bench/warehouse_bench.py [--tracks 1000] [--objects 1000] [--rounds 5]
        [--dsn postgresql://postgres@127.0.0.1:5432/postgres]

PostgreSQL: the benchmark creates and drops a database of its own (fi_wh_bench).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "functions_ide.settings")

import django  # noqa: E402

django.setup()  # ingest.deliver's package imports the models

import psycopg  # noqa: E402

from ingest.deliver.destinations.base import Batch, ObjectSet  # noqa: E402
from ingest.deliver.destinations.warehouse import DuckDBWarehouse, PostgresWarehouse  # noqa: E402

DATABASE = "fi_wh_bench"


def batch(round_: int, tracks: int, objects: int) -> Batch:
    events = [
        {
            "type": "track",
            "messageId": f"r{round_}-m{n}",
            "event": "Order Completed",
            "userId": f"user_{n % 100}",
            "timestamp": "2024-05-01T10:00:00.000Z",
            "context": {"library": {"name": "functions", "version": "1.0.0"}},
            "properties": {
                "orderId": f"o{n}",
                "total": n * 1.5,
                "currency": "USD",
                "paid": n % 2 == 0,
                "paidAt": "2024-05-01T09:59:00Z",
                "coupon": None,
                "items": [{"sku": "a", "qty": 1}],
                "shipping": {"city": "Paris", "country": "FR"},
                "discount": n % 7,
                "channel": "web",
            },
        }
        for n in range(tracks)
    ]
    sets = [
        ObjectSet(
            "customers",
            f"r{round_}-cus_{n}",
            {"email": f"c{n}@example.com", "balance": n, "delinquent": False, "plan": "pro"},
        )
        for n in range(objects)
    ]
    return Batch("bench", events=events, objects=sets)


def measure(name: str, destination, args) -> None:
    rows = args.tracks * 2 + args.objects
    started = time.perf_counter()
    destination.send(batch(0, args.tracks, args.objects))
    first = time.perf_counter() - started
    seconds = []
    for round_ in range(1, args.rounds + 1):
        work = batch(round_, args.tracks, args.objects)
        started = time.perf_counter()
        destination.send(work)
        seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    print(
        f"{name:<10} first batch (creates tables) {first:6.3f} s | "
        f"median of {args.rounds}: {median:6.3f} s = {rows / median:8,.0f} rows/s "
        f"(best {rows / min(seconds):,.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    print(f"{args.tracks} tracks + {args.objects} objects = {args.tracks * 2 + args.objects} rows")

    with tempfile.TemporaryDirectory() as folder:
        measure("DuckDB", DuckDBWarehouse({"path": f"{folder}/warehouse.duckdb"}, {}), args)

    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    try:
        dsn = psycopg.conninfo.make_conninfo(args.dsn, dbname=DATABASE)
        measure("PostgreSQL", PostgresWarehouse({}, {"dsn": dsn}), args)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
