# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Runner benchmark: warm latency, first run of a new version, amortized batch cost,
through a sandbox process (the default isolation) and inline (V8 in this process), and
a plain Node.js `vm` context as the reference floor.

    python bench/runner_bench.py [--warm 2000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runner import Invocation, IsolatePool, normalize_request  # noqa: E402

TRIVIAL = """
async function onRequest(request, settings) {
  const body = request.json();
  Segment.track({ event: body.type, userId: body.user, properties: { amount: body.amount } });
}
"""
REQUEST = {"body": {"type": "charge.succeeded", "user": "cus_1", "amount": 20}}

NODE_REFERENCE = r"""
const vm = require('vm');
const code = %s;
const raw = %s;
const N = %d;
const ctx = vm.createContext({});
vm.runInContext(`
  let events;
  const Segment = { track(m) { events.push(Object.assign({ type: 'track' }, m, { timestamp: new Date().toISOString() })); } };
  ${code}
  globalThis.invoke = async (raw) => {
    events = [];
    await onRequest({ json: () => JSON.parse(raw), text: () => raw, headers: new Map() }, {});
    return JSON.stringify(events);
  };`, ctx);
(async () => {
  for (let i = 0; i < 1000; i++) await ctx.invoke(raw);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await ctx.invoke(raw);
  const ns = Number(process.hrtime.bigint() - start);
  console.log(JSON.stringify({ per_call_us: ns / N / 1000 }));
})();
"""


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def warm_latency(pool: IsolatePool, n: int) -> list[float]:
    for _ in range(200):
        pool.run("warm", TRIVIAL, REQUEST)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        pool.run("warm", TRIVIAL, REQUEST)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def first_run_latency(pool: IsolatePool, n: int) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        result = pool.run(f"new-version-{i}", TRIVIAL, REQUEST)
        samples.append((time.perf_counter() - started) * 1000)
        assert result.error is None, result.error
    return samples


def amortized_batch_us(pool: IsolatePool, size: int, rounds: int = 5) -> float:
    invocations = [Invocation(normalize_request(REQUEST), {}, f"exec-{i}") for i in range(size)]
    pool.run_batch("batch", TRIVIAL, invocations[:10])
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        results = pool.run_batch("batch", TRIVIAL, invocations)
        best = min(best, (time.perf_counter() - started) / size * 1e6)
        assert all(r.error is None for r in results)
    return best


def node_reference_us(n: int) -> float | None:
    if shutil.which("node") is None:
        return None
    script = NODE_REFERENCE % (json.dumps(TRIVIAL), json.dumps(json.dumps(REQUEST["body"])), n)
    out = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)["per_call_us"]


def measure(isolation: str, args: argparse.Namespace) -> dict[str, float]:
    pool = IsolatePool(max_isolates=4, isolation=isolation)
    pool.run("boot", TRIVIAL, REQUEST)  # V8 start-up is a once-per-process cost, not measured
    warm = warm_latency(pool, args.warm)
    first = first_run_latency(pool, args.first)
    batch_us = amortized_batch_us(pool, args.batch)
    pool.close()
    return {
        "warm invocation p50": statistics.median(warm) * 1000,
        "warm invocation p99": percentile(warm, 0.99) * 1000,
        "first run of a new version p50": statistics.median(first) * 1000,
        f"amortized per invocation (batch of {args.batch})": batch_us,
    }


def sandbox_start_ms(n: int = 5) -> float:
    """A new sandbox process: interpreter, runner import, V8 start, first run."""
    samples = []
    for _ in range(n):
        pool = IsolatePool(max_isolates=1)
        started = time.perf_counter()
        pool.run("boot", TRIVIAL, REQUEST)
        samples.append((time.perf_counter() - started) * 1000)
        pool.close()
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=2000)
    parser.add_argument("--first", type=int, default=30)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    process = measure("process", args)
    inline = measure("inline", args)
    node_us = node_reference_us(100_000)
    aims = ["< 1000 us", "", "< 20000 us", "< 10x node"]
    print(f"{'measure (us)':48} {'process':>10} {'inline':>10} {'x node':>8}  aim")
    for (name, value), aim in zip(process.items(), aims, strict=True):
        ratio = f"{value / node_us:8.1f}" if node_us else "     n/a"
        print(f"{name:48} {value:10.1f} {inline[name]:10.1f} {ratio}  {aim}")
    shown = f"{node_us:10.1f}" if node_us else "       n/a"
    print(f"{'node vm reference per invocation':48} {shown} {'':>10} {'1.0':>8}  floor")
    print(f"{'start of a sandbox process (ms, once per process)':48} {sandbox_start_ms():10.1f}")
    print("x node: the process column (the default isolation) against Node's vm")


if __name__ == "__main__":
    main()
