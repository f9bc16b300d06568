"""What the libraries of Segment's runtime page cost a new isolate: start time (prelude,
hand-over and the named library's load) and V8 heap after a full garbage collection,
with no library named and with each one named; and the size of every bundle.

    python bench/libraries_bench.py [--rounds 5]

Runs inline (V8 in this process), one isolate at a time; the median of the rounds.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runner.engine import DIST, LIBRARIES, NAMED_LIBRARIES, Isolate  # noqa: E402

HEAP = 128 * 1024 * 1024


def measure(libraries: tuple[str, ...], rounds: int) -> tuple[float, float]:
    """Median start time (ms) and heap after GC (MB) of an isolate given `libraries`."""
    times, heaps = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        isolate = Isolate(max_memory_bytes=HEAP, libraries=libraries)
        times.append((time.perf_counter() - started) * 1000)
        isolate.collect_garbage()
        heaps.append(isolate.heap_used_bytes() / 1024 / 1024)
        isolate.close()
    return statistics.median(times), statistics.median(heaps)


def kb(name: str) -> str:
    return f"{(DIST / f'lib-{name}.js').stat().st_size / 1024:.0f} KB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    measure((), 2)  # V8 started, code warm
    base_ms, base_mb = measure((), rounds)
    print(f"prelude: {(DIST / 'prelude.js').stat().st_size / 1024:.0f} KB; always handed over: "
          + ", ".join(f"{name} {kb(name)}" for name in LIBRARIES))  # fmt: skip
    print("| library named | bundle | new isolate | + start | heap after GC | + heap |")
    print("|---|---|---|---|---|---|")
    print(f"| none | | {base_ms:.1f} ms | | {base_mb:.2f} MB | |")
    bundles = [(bundle,) for bundle in NAMED_LIBRARIES] + [tuple(NAMED_LIBRARIES)]
    for libraries in bundles:
        ms, mb = measure(libraries, rounds)
        name = libraries[0] if len(libraries) == 1 else "all of them"
        size = kb(name) if len(libraries) == 1 else ""
        start = f"{ms:.1f} ms | {ms - base_ms:+.1f} ms"
        print(f"| {name} | {size} | {start} | {mb:.2f} MB | {mb - base_mb:+.2f} MB |")


if __name__ == "__main__":
    main()
