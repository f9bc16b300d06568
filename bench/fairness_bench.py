"""Fairness benchmark: one workspace floods the workers with webhooks that each emit
1,000 events and 1,000 objects, while another posts a small webhook 5 times a second.
How long the quiet workspace's webhooks wait for their events tells whether the flood
holds the workers for itself.

    python bench/fairness_bench.py [--seconds 60] [--flood-rate 4] [--quiet-rate 5]

Runs the production configuration on this machine (Daphne, PostgreSQL, Redis, Celery
worker processes), as bench/e2e_bench.py does, and prints a table for docs/performance.md.
"""

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from e2e_bench import Connection, cpu_seconds, percentile  # noqa: E402

from tests.faults.stack import Stack, connect_source  # noqa: E402

FLOOD = """
async function onRequest(request) {
  const { batch } = request.json();
  for (let i = 0; i < 1000; i++) {
    Segment.track({ event: 'Row Imported', userId: `user_${i}`, messageId: `${batch}-${i}`,
                    properties: { row: i, batch } });
    Segment.set({ collection: 'rows', id: `${batch}-${i}`, properties: { row: i, batch } });
  }
}
"""
QUIET = """
async function onRequest(request) {
  const { n } = request.json();
  Segment.track({ event: 'Order Placed', userId: `cus_${n % 50}`, messageId: `quiet-${n}` });
}
"""


async def post_at_rate(port: int, path: str, rate: float, seconds: float, body) -> dict:
    """Post body(n) `rate` times a second for `seconds`, each on time, on its own
    keep-alive connection from a pool (a slow answer does not delay the next post)."""
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(32):
        pool.put_nowait(Connection("127.0.0.1", port))
    statuses: dict[int, int] = {}

    async def one(n: int) -> None:
        connection = await pool.get()
        try:
            status = await connection.post(path, body(n))
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            connection.writer, status = None, 0
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait(connection)

    start, tasks = time.perf_counter(), []
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    return statuses


async def both(port: int, paths: dict[str, str], args) -> dict[str, dict]:
    flood = post_at_rate(port, paths["flood"], args.flood_rate, args.seconds,
                         lambda n: json.dumps({"batch": f"b{n}"}).encode())  # fmt: skip
    quiet = post_at_rate(port, paths["quiet"], args.quiet_rate, args.seconds,
                         lambda n: json.dumps({"n": n}).encode())  # fmt: skip
    flood_statuses, quiet_statuses = await asyncio.gather(flood, quiet)
    return {"flood": flood_statuses, "quiet": quiet_statuses}


def run(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), "functions_ide_fairness", redis_db=11, LOG_LEVEL="ERROR",
                      WEBHOOK_RATE_LIMIT_PER_SECOND="100000")  # fmt: skip
        stack.create()
        try:
            server = stack.start_server()
            sources = {}
            for name, code in (("flood", FLOOD), ("quiet", QUIET)):
                api = stack.api(stack.owner_token(name), workspace=name)
                sources[name] = connect_source(api, code, name=name.title())
            workers = [
                stack.start_worker(f"w{i}", concurrency=args.threads) for i in range(args.workers)
            ]
            time.sleep(3)  # the workers connect to the broker
            paths = {n: "/hooks/" + s["webhook_url"].rsplit("/", 1)[1] for n, s in sources.items()}
            warm_up(stack, paths)
            objects_before = query(stack, OBJECTS)[0][0]
            cpu_before = sum(cpu_seconds(p.pid) for p in [server, *workers])
            started = time.time()
            statuses = asyncio.run(both(stack.port, paths, args))
            sent_for = time.time() - started
            quiet_done = wait_for_events(stack, "quiet", statuses["quiet"].get(200, 0))
            flood_done = wait_for_events(stack, "flood", 1000 * statuses["flood"].get(200, 0))
            return {
                "statuses": statuses,
                "sent_for": sent_for,
                "quiet_delays": delays(stack, "quiet"),
                "quiet_waits": stages(stack, "quiet"),
                "quiet_done_after": quiet_done - started,
                "flood_done_after": flood_done - started,
                "flood_during": flood_events_by(stack, started + sent_for),
                "objects": query(stack, OBJECTS)[0][0] - objects_before,
                "cpu": sum(cpu_seconds(p.pid) for p in [server, *workers]) - cpu_before,
            }
        finally:
            stack.stop()
            stack.drop()


def warm_up(stack: Stack, paths: dict[str, str]) -> None:
    """One webhook of each (sandboxes, isolates, connections), stored, then forgotten."""
    import httpx

    httpx.post(stack.url + paths["flood"], json={"batch": "warm"}, timeout=30)
    for n in range(3):
        httpx.post(stack.url + paths["quiet"], json={"n": -1 - n}, timeout=30)
    stack.wait_until(
        lambda: count_events(stack, "flood") >= 1000 and count_events(stack, "quiet") >= 3,
        timeout=120, what="the warm-up to run",
    )  # fmt: skip
    query(stack, "DELETE FROM ingest_storedevent", commit=True)


def wait_for_events(stack: Stack, workspace: str, expected: int) -> float:
    stack.wait_until(lambda: count_events(stack, workspace) >= expected, timeout=1800,
                     what=f"the {workspace} workspace's events")  # fmt: skip
    return time.time()


def query(stack: Stack, sql: str, params=(), *, commit: bool = False) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{stack.name}") as db:
        cursor = db.execute(sql, params)
        rows = [] if commit else cursor.fetchall()
        if commit:
            db.commit()
        return rows


OBJECTS = "SELECT count(*) FROM ingest_warehouseobject"
_OF_WORKSPACE = """
    FROM ingest_storedevent e JOIN ingest_ingestevent i ON e.ingest_event_id = i.id
    JOIN catalog_source s ON i.source_id = s.id JOIN catalog_workspace w ON s.workspace_id = w.id
    WHERE w.slug = %s"""


def count_events(stack: Stack, workspace: str) -> int:
    return query(stack, "SELECT count(*)" + _OF_WORKSPACE, (workspace,))[0][0]


def delays(stack: Stack, workspace: str) -> list[float]:
    """From each webhook's row to its stored event, by the database clock."""
    sql = "SELECT EXTRACT(EPOCH FROM (e.received_at - i.received_at))" + _OF_WORKSPACE
    return [float(row[0]) for row in query(stack, sql, (workspace,))]


def stages(stack: Stack, workspace: str) -> dict[str, list[float]]:
    """Where a webhook's time went: waiting to be claimed, then claimed to recorded."""
    sql = (
        "SELECT EXTRACT(EPOCH FROM (i.claimed_at - i.received_at)),"
        " EXTRACT(EPOCH FROM (e.received_at - i.claimed_at))" + _OF_WORKSPACE
    )
    rows = query(stack, sql, (workspace,))
    return {"claim": [float(r[0]) for r in rows], "run": [float(r[1]) for r in rows]}


def flood_events_by(stack: Stack, moment: float) -> int:
    sql = "SELECT count(*)" + _OF_WORKSPACE + " AND e.received_at <= to_timestamp(%s)"
    return query(stack, sql, ("flood", moment))[0][0]


def report(args, result: dict) -> str:
    quiet, seconds = result["quiet_delays"], result["sent_for"]
    rows = [
        ("flood webhooks sent: answers", result["statuses"]["flood"]),
        ("quiet webhooks sent: answers", result["statuses"]["quiet"]),
        ("quiet webhook-to-event p50 / p99 / max",
         f"{percentile(quiet, .5) * 1000:.0f} ms / {percentile(quiet, .99) * 1000:.0f} ms / "
         f"{max(quiet) * 1000:.0f} ms"),
        ("quiet: until claimed p50 / p99, claimed to stored p50 / p99",
         " / ".join(f"{percentile(result['quiet_waits'][k], p) * 1000:.0f} ms"
                    for k in ("claim", "run") for p in (.5, .99))),
        ("quiet events stored", len(quiet)),
        ("flood events stored while sending (per second)",
         f"{result['flood_during']} ({result['flood_during'] / seconds:.0f}/s)"),
        ("last quiet / last flood event stored, after the start",
         f"{result['quiet_done_after']:.0f} s / {result['flood_done_after']:.0f} s"),
        ("warehouse objects stored", result["objects"]),
        ("CPU, all processes, until the flood was stored", f"{result['cpu']:.0f} s"),
    ]  # fmt: skip
    head = (
        f"{args.workers} worker process(es) of {args.threads} threads; for {args.seconds:g} s, "
        f"{args.flood_rate:g} flood webhooks/s (1,000 events and 1,000 objects each) and "
        f"{args.quiet_rate:g} quiet webhooks/s (one event each)"
    )
    return "\n".join([head, "", "| measure | result |", "|---|---|"]
                     + [f"| {name} | {value} |" for name, value in rows]) + "\n"  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--flood-rate", type=float, default=4)
    parser.add_argument("--quiet-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="of each worker process")
    args = parser.parse_args()
    print(report(args, run(args)), flush=True)


if __name__ == "__main__":
    main()
