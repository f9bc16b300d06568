"""Memory of warm isolates: how much one warm function version costs a worker, how
many versions a worker keeps warm in 1 GB, and what a sandbox process uses of its
memory budget (IsolatePool(sandbox_memory_mb=...), 1024 MB by default).

    python bench/isolate_memory_bench.py [--versions 40]

The per-isolate figure runs inline (in this process) so the growth of this process's
resident memory is the isolates' cost. The sandbox figures read the sandbox process's
/proc status: resident memory, and writable memory (VmData, what the budget's OS
limit counts) beyond the sandbox's size once V8 started, which the budget leaves out.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import runner  # noqa: E402

# A realistic function: parses the body, uses lodash and crypto, emits two messages.
CODE = """
async function onRequest(request, settings) {
  const body = request.json();
  const total = _.sumBy(body.items, 'price');
  const digest = crypto.createHash('sha256').update(body.id).digest('hex');
  Segment.track({ event: 'Order Placed', userId: body.user, properties: { total, digest, v: %d } });
  Segment.set({ collection: 'orders', id: body.id, properties: { total } });
}
"""
REQUEST = {"body": {"id": "o1", "user": "u1", "items": [{"price": 3}, {"price": 4}]}}


def rss_mb(pid: str = "self", field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def sandbox_rows(versions: int) -> list[tuple[str, str]]:
    """A sandbox's memory once started (one version run), then with `versions` warm."""
    pool = runner.IsolatePool(max_isolates=versions)
    pool.run("version-0", CODE % 0, REQUEST)
    (pid,) = pool.sandbox_pids()
    started_rss, started_data = rss_mb(pid), rss_mb(pid, "VmData")
    for version in range(1, versions):
        assert pool.run(f"version-{version}", CODE % version, REQUEST).error is None
    rows = [
        ("sandbox process, one version run: resident", f"{started_rss:.0f} MB"),
        ("sandbox process, one version run: writable (not counted by the budget)",
         f"{started_data:.0f} MB"),
        (f"sandbox process, {versions} versions warm: resident", f"{rss_mb(pid):.0f} MB"),
        (f"sandbox process, {versions} versions warm: counted by the budget",
         f"{rss_mb(pid, 'VmData') - started_data:.0f} MB"),
    ]  # fmt: skip
    pool.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=40)
    args = parser.parse_args()
    pool = runner.IsolatePool(
        max_isolates=args.versions + 1, max_memory_mb=100_000, isolation="inline"
    )
    pool.run("warm-up", CODE % 0, REQUEST)  # V8 itself and the prelude bundles, once
    before = rss_mb()
    for version in range(1, args.versions + 1):
        result = pool.run(f"version-{version}", CODE % version, REQUEST)
        assert result.error is None, result.error
    per_isolate = (rss_mb() - before) / args.versions
    print("| measure | result |")
    print("|---|---|")
    print(f"| resident memory per warm isolate (one version, lodash and crypto loaded) | "
          f"{per_isolate:.1f} MB |")  # fmt: skip
    print(f"| warm versions per worker in 1 GB | {int(1024 // per_isolate)} |")
    pool.close()
    for name, value in sandbox_rows(8):
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
