"""End-to-end benchmark: webhooks posted at a fixed rate to /hooks/<token> against the
production configuration on this machine (Daphne, PostgreSQL, Redis, Celery worker
processes), and the same load against a bare Daphne endpoint as the ceiling.

    python bench/e2e_bench.py [--rate 300] [--seconds 60] [--workers 2] [--scaling 1,2,4]
    python bench/e2e_bench.py --peer [--rounds 3] [--peer-workers 1]
    python bench/e2e_bench.py --responding [--rate 50] [--seconds 60] [--workers 2]

--responding measures a function that responds to the sender instead: each webhook is
run at once on the interactive queue and its sender waits for the function's answer
(a 202 with a small JSON body), so the latency is the sender's whole wait, p50 and p99.

Prints a table per run and, with --write, records it in docs/performance.md. With --peer,
the reference pipeline in Node of ../shared/peer-ingest/ (bench/peer.py) runs under the
same load, alternating with the product, and the ratios follow the tables.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults.stack import BIN, Stack, connect_source, free_port  # noqa: E402

# A Stripe-sized event (about 2.5 KB), mapped like the Stripe template does.
FUNCTION = """
async function onRequest(request) {
  const event = request.json();
  const charge = event.data.object;
  Segment.track({ event: 'Charge Succeeded', userId: charge.customer, messageId: event.id,
                  properties: { amount: charge.amount / 100, currency: charge.currency } });
}
"""
# The same mapping, answering the sender (the function responds to it: Configure).
RESPONDING_FUNCTION = """
async function onRequest(request) {
  const event = request.json();
  const charge = event.data.object;
  Segment.track({ event: 'Charge Succeeded', userId: charge.customer, messageId: event.id,
                  properties: { amount: charge.amount / 100, currency: charge.currency } });
  return Response.json({ received: event.id }, { status: 202 });
}
"""
RESPONDED = 202
# Padding that makes the body the size of a real Stripe event.
CHARGE = {f"field_{i}": f"value {i} " * 4 for i in range(60)}


def body(n: int) -> bytes:
    event = {"id": f"evt_bench_{n}", "object": "event", "type": "charge.succeeded",
             "data": {"object": {"id": f"ch_{n}", "amount": 2000 + n, "currency": "usd",
                                 "customer": f"cus_{n % 500}", "metadata": CHARGE}}}  # fmt: skip
    return json.dumps(event).encode()


# --- the load generator: keep-alive HTTP/1.1 on raw asyncio streams (cheap on CPU) ------


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def post(self, path: str, payload: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def load(port: int, path: str, rate: int, seconds: float, first: int = 0) -> dict:
    """Post `rate` requests a second for `seconds`, each at its scheduled time."""
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(Connection("127.0.0.1", port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent_at: dict[int, float] = {}

    async def one(n: int) -> None:
        connection = await pool.get()
        started = time.perf_counter()
        try:
            status = await connection.post(path, body(first + n))
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            connection.writer, status = None, 0
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait(connection)

    total = int(rate * seconds)
    start = time.perf_counter()
    tasks = []
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent_at[n] = time.time()
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {"sent": total, "elapsed": elapsed, "statuses": statuses, "latencies": latencies}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


# --- CPU per process, from /proc -------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (a Celery worker's pool), in seconds."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for p in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return total


def backends_cpu(database: str) -> float:
    """CPU time of the PostgreSQL backends connected to this database, in seconds
    (those alive when read: the benchmarked processes keep theirs open)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if f" {database} " not in (stat.parent / "cmdline").read_bytes().decode(
                errors="replace"
            ):
                continue
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return total


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            found += [kid, *children(kid)]
    return found


# --- runs ---------------------------------------------------------------------------------


WARMUP_S = 5
# Where the benchmark's stack keeps its data (--database, --redis-db): dropped first.
DATABASE = "functions_ide_bench"
REDIS_DB = 12


def _stack(tmp: str) -> Stack:
    return Stack(Path(tmp), DATABASE, redis_db=REDIS_DB, LOG_LEVEL="ERROR",
                 WEBHOOK_RATE_LIMIT_PER_SECOND="100000")  # fmt: skip


@contextmanager
def _running(workers: int, threads: int, connect):
    """A production stack with Daphne and `workers` worker processes, and a source made
    by connect(api): yields (stack, processes by name, the source's webhook path)."""
    with tempfile.TemporaryDirectory() as tmp:
        stack = _stack(tmp)
        stack.create()
        try:
            api = stack.api(stack.owner_token())
            server = stack.start_server()
            source = connect(api)
            worker_processes = [
                stack.start_worker(f"w{i}", concurrency=threads) for i in range(workers)
            ]
            time.sleep(3)  # workers connect to the broker
            processes = {"daphne": server} | {
                f"worker {i + 1}": w for i, w in enumerate(worker_processes)
            }
            yield stack, processes, "/hooks/" + source["webhook_url"].rsplit("/", 1)[1]
        finally:
            stack.stop()
            stack.drop()


class CpuMeter:
    """CPU seconds each process (and the database's backends) spent since it was made."""

    def __init__(self, processes: dict, database: str) -> None:
        self.processes, self.database = processes, database
        self.before = self._read()

    def _read(self) -> dict[str, float]:
        cpu = {name: cpu_seconds(p.pid) for name, p in self.processes.items()}
        return cpu | {"PostgreSQL": backends_cpu(self.database)}

    def spent(self) -> dict[str, float]:
        return {name: now - self.before[name] for name, now in self._read().items()}


def run_product(rate: int, seconds: float, workers: int, threads: int = 4) -> dict:
    with _running(workers, threads, lambda api: connect_source(api, FUNCTION)) as (
        stack, processes, path,
    ):  # fmt: skip
        # Warm up (connections, database pools, sandboxes, isolates), then measure.
        warm = asyncio.run(load(stack.port, path, rate, WARMUP_S, first=10**7))
        stack.wait_until(lambda: stored_count(stack) >= warm["statuses"].get(200, 0),
                         timeout=600, what="the warm-up to be stored")  # fmt: skip
        after = _query(stack, "SELECT coalesce(max(id), 0) FROM ingest_ingestevent")[0][0]
        meter = CpuMeter(processes, stack.name)
        result = asyncio.run(load(stack.port, path, rate, seconds))
        accepted = result["statuses"].get(200, 0)
        stack.wait_until(lambda: stored_count(stack, after) >= accepted, timeout=600,
                         what="every accepted webhook to be stored")  # fmt: skip
        cpu = meter.spent()
        return {**result, "accepted": accepted, "stored": stored_count(stack, after),
                "unique": unique_count(stack, after), "delays": event_delays(stack, after),
                "cpu": cpu, "tasks": claim_count(stack, after), "threads": threads}  # fmt: skip


def run_responding(rate: int, seconds: float, workers: int, threads: int = 4) -> dict:
    """Webhooks of a function that responds to the sender: the latency is the sender's
    whole wait (stored, run on the interactive queue, answered)."""
    with _running(workers, threads, responding_source) as (stack, processes, path):
        asyncio.run(load(stack.port, path, rate, WARMUP_S, first=10**7))
        meter = CpuMeter(processes, stack.name)
        result = asyncio.run(load(stack.port, path, rate, seconds))
        return {**result, "responded": result["statuses"].get(RESPONDED, 0),
                "cpu": meter.spent(), "threads": threads}  # fmt: skip


def responding_source(api) -> dict:
    function = api.post(
        "functions/", json={"name": "Answers", "code": RESPONDING_FUNCTION, "responds": True}
    )
    assert function.status_code == 201, function.text
    function_id = function.json()["id"]
    deployed = api.post(f"functions/{function_id}/deploy/", json={"message": "v1"})
    assert deployed.status_code == 201, deployed.text
    source = api.post("sources/", json={"function": function_id, "name": "Answers in"})
    assert source.status_code == 201, source.text
    return source.json()


def _query(stack: Stack, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{stack.name}") as db:
        return db.execute(sql).fetchall()


# The queries count what came of the ingest events after the id given (the warm-up's).


def stored_count(stack: Stack, after: int = 0) -> int:
    sql = f"SELECT count(*) FROM ingest_storedevent WHERE ingest_event_id > {after:d}"
    return _query(stack, sql)[0][0]


def unique_count(stack: Stack, after: int) -> int:
    sql = "SELECT count(DISTINCT message_id) FROM ingest_storedevent WHERE ingest_event_id > "
    return _query(stack, f"{sql}{after:d}")[0][0]


def claim_count(stack: Stack, after: int) -> int:
    """How many claims (one per batch) executed the webhooks."""
    sql = f"SELECT count(DISTINCT claim) FROM ingest_ingestevent WHERE id > {after:d}"
    return _query(stack, sql)[0][0]


def event_delays(stack: Stack, after: int) -> list[float]:
    """From the webhook's row to its stored event, in seconds, by the database clock."""
    rows = _query(
        stack,
        "SELECT EXTRACT(EPOCH FROM (e.received_at - i.received_at)) FROM ingest_storedevent e"
        f" JOIN ingest_ingestevent i ON e.ingest_event_id = i.id WHERE i.id > {after:d}",
    )
    return [float(row[0]) for row in rows]


BARE_APP = """
async def application(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"9")]})
    await send({"type": "http.response.body", "body": b'{"id": 1}'})
"""


def run_bare(rate: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "bare_app:application"],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(2)
            before = cpu_seconds(server.pid)
            result = asyncio.run(load(port, "/hooks/x", rate, seconds))
            return {**result, "accepted": result["statuses"].get(200, 0),
                    "cpu": {"daphne": cpu_seconds(server.pid) - before}}  # fmt: skip
        finally:
            server.terminate()
            server.wait()


# --- report ---------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def report(rate: int, seconds: float, workers: int, product: dict, bare: dict | None) -> str:
    accepted_rate = product["accepted"] / product["elapsed"]
    others = {status: n for status, n in product["statuses"].items() if status != 200}
    exact = product["stored"] == product["unique"] == product["accepted"]
    lines = [
        f"### {workers} worker process(es) of {product['threads']} threads, {rate} webhooks/s "
        f"offered for {seconds:g} s",
        "",
        "| measure | result |",
        "|---|---|",
        f"| webhooks sent / accepted (200) | {product['sent']} / {product['accepted']} |",
        f"| other answers | {others or 'none'} |",
        f"| accepted per second | {accepted_rate:.0f} |",
        f"| accept latency p50 / p99 | {ms(percentile(product['latencies'], .5))} / "
        f"{ms(percentile(product['latencies'], .99))} |",
        f"| webhook-to-stored-event p50 / p99 | {ms(percentile(product['delays'], .5))} / "
        f"{ms(percentile(product['delays'], .99))} |",
        f"| stored events (unique message ids) | {product['stored']} ({product['unique']}) |",
        f"| nothing lost, nothing duplicated | {exact} |",
    ]  # fmt: skip
    if product["tasks"]:
        lines.append(
            f"| webhooks per batch (mean) | {product['accepted'] / product['tasks']:.1f} |"
        )
    for name, cpu in product["cpu"].items():
        lines.append(
            f"| CPU {name} | {cpu / product['elapsed'] * 100:.0f} % of a core, "
            f"{cpu * 1000 / max(1, product['accepted']):.2f} ms per webhook |"
        )
    if bare:
        bare_rate = bare["accepted"] / bare["elapsed"]
        p50, p99 = percentile(bare["latencies"], 0.5), percentile(bare["latencies"], 0.99)
        lines += [
            f"| bare Daphne endpoint: accepted per second | {bare_rate:.0f} "
            f"(p50 {ms(p50)}, p99 {ms(p99)}) |",
            f"| our accepted throughput / bare Daphne | {accepted_rate / bare_rate:.2f} |",
        ]  # fmt: skip
    return "\n".join(lines) + "\n"


def responding_report(rate: int, seconds: float, workers: int, run: dict) -> str:
    others = {status: n for status, n in run["statuses"].items() if status != RESPONDED}
    latencies = run["latencies"]
    lines = [
        f"### A function that responds to the sender: {workers} worker process(es) of "
        f"{run['threads']} threads, {rate} webhooks/s offered for {seconds:g} s",
        "",
        "| measure | result |",
        "|---|---|",
        f"| webhooks sent / answered by the function ({RESPONDED}) | {run['sent']} / "
        f"{run['responded']} |",
        f"| other answers | {others or 'none'} |",
        f"| answered per second | {run['responded'] / run['elapsed']:.0f} |",
        f"| sender's wait p50 / p99 | {ms(percentile(latencies, .5))} / "
        f"{ms(percentile(latencies, .99))} |",
        f"| sender's wait max | {ms(max(latencies)) if latencies else 'n/a'} |",
    ]  # fmt: skip
    for name, cpu in run["cpu"].items():
        lines.append(
            f"| CPU {name} | {cpu / run['elapsed'] * 100:.0f} % of a core, "
            f"{cpu * 1000 / max(1, run['sent']):.2f} ms per webhook |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    global WARMUP_S, DATABASE, REDIS_DB
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=None, help="300 (50 with --responding)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="of each worker process")
    parser.add_argument("--scaling", default="", help="e.g. 1,2,4: also run with these counts")
    parser.add_argument("--responding", action="store_true", help="a function that responds")
    parser.add_argument("--warmup", type=float, default=WARMUP_S, help="seconds before measuring")
    parser.add_argument("--database", default=DATABASE, help="PostgreSQL database (dropped!)")
    parser.add_argument("--redis-db", type=int, default=REDIS_DB, help="Redis database (flushed!)")
    parser.add_argument("--write", action="store_true", help="record in docs/performance.md")
    parser.add_argument("--peer", action="store_true", help="also run the Node reference")
    parser.add_argument("--peer-workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1, help="with --peer: alternations")
    args = parser.parse_args()
    WARMUP_S, DATABASE, REDIS_DB = args.warmup, args.database, args.redis_db
    if args.peer:
        args.rate = args.rate or 300
        compare_with_peer(args)
        return
    if args.responding:
        rate = args.rate or 50
        run = run_responding(rate, args.seconds, args.workers, args.threads)
        section = responding_report(rate, args.seconds, args.workers, run)
        print(section, flush=True)
        if args.write:
            record_responding(section)
        return
    args.rate = args.rate or 300
    sections = []
    product = run_product(args.rate, args.seconds, args.workers, args.threads)
    bare = run_bare(args.rate, args.seconds)
    sections.append(report(args.rate, args.seconds, args.workers, product, bare))
    print(sections[-1], flush=True)
    for count in [int(c) for c in args.scaling.split(",") if c]:
        if count == args.workers:
            continue
        sections.append(
            report(
                args.rate,
                args.seconds,
                count,
                run_product(args.rate, args.seconds, count, args.threads),
                None,
            )
        )
        print(sections[-1], flush=True)
    if args.write:
        record(sections)


def compare_with_peer(args) -> None:
    """The product and the peer alternately, `rounds` times, then the medians' ratios."""
    import statistics

    import peer

    runs: dict[str, list[dict]] = {"product": [], "peer": []}
    for _ in range(args.rounds):
        runs["product"].append(run_product(args.rate, args.seconds, args.workers, args.threads))
        print(report(args.rate, args.seconds, args.workers, runs["product"][-1], None), flush=True)
        runs["peer"].append(
            peer.run(code=FUNCTION, rate=args.rate, seconds=args.seconds,
                     workers=args.peer_workers, warmup_s=WARMUP_S)
        )  # fmt: skip
        print("Peer (Node 20):\n" + report(args.rate, args.seconds, args.peer_workers,
                                            runs["peer"][-1], None), flush=True)  # fmt: skip

    def median(system: str, measure) -> float:
        return statistics.median(measure(run) for run in runs[system])

    measures = {
        "accepted per second": lambda r: r["accepted"] / r["elapsed"],
        "accept p99 (ms)": lambda r: percentile(r["latencies"], 0.99) * 1000,
        "webhook-to-event p50 (ms)": lambda r: percentile(r["delays"], 0.5) * 1000,
        "CPU per webhook, all processes (ms)": lambda r: (
            sum(r["cpu"].values()) * 1000 / max(1, r["accepted"])
        ),
    }
    print(f"| median of {args.rounds} | product | peer | product / peer |\n|---|---|---|---|")
    for name, measure in measures.items():
        ours, theirs = median("product", measure), median("peer", measure)
        print(f"| {name} | {ours:.1f} | {theirs:.1f} | {ours / max(theirs, 1e-9):.2f} |")


def record(sections: list[str]) -> None:
    """Replace the tables of the "## End to end" section; the sections after it stay."""
    path = ROOT / "docs" / "performance.md"
    marker = "## End to end"
    head, rest = path.read_text().split(marker)
    tail = rest[rest.index("\n## ") :] if "\n## " in rest else "\n"
    machine = (
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}"
    )
    intro = f"`make bench-e2e` ({machine}); each run measured after a {WARMUP_S} s warm-up."
    section = f"{marker}\n\n{intro}\n\n" + "\n".join(sections)
    path.write_text(head.rstrip() + "\n\n" + section.rstrip() + "\n" + tail)


def record_responding(section: str) -> None:
    """Replace the tables of the "## Answering the sender" section."""
    path = ROOT / "docs" / "performance.md"
    marker = "## Answering the sender"
    text = path.read_text()
    head, rest = text.split(marker) if marker in text else (text.rstrip() + "\n\n", "")
    tail = rest[rest.index("\n## ") :] if "\n## " in rest else "\n"
    machine = (
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}"
    )
    intro = (
        f"`make bench-responding` ({machine}); measured after a {WARMUP_S:g} s warm-up. The "
        "sender's wait is from its request to the function's answer: stored, run at once on "
        "the interactive queue, recorded, answered."
    )
    body = f"{marker}\n\n{intro}\n\n{section}"
    path.write_text(head.rstrip() + "\n\n" + body.rstrip() + "\n" + tail)


if __name__ == "__main__":
    main()
