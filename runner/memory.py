"""The memory of a sandbox process, under an OS limit of its own.

V8's heap limit counts only the JavaScript heap: ArrayBuffer, SharedArrayBuffer and
WebAssembly.Memory live outside it, and a function could grow its sandbox to gigabytes
with them. So each sandbox process has an OS limit, RLIMIT_DATA (the kernel refuses
writable private memory past it: the allocation fails, and V8 throws "RangeError: Array
buffer allocation failed" or aborts).

Why RLIMIT_DATA, set once V8 has started, and not RLIMIT_AS or a limit set before:
V8 reserves about 1.4 TB of address space (its sandbox and pointer cage) at start, so
RLIMIT_AS cannot be used at all; and of what RLIMIT_DATA counts, V8 commits a 512 MB
code range at once, of which a few MB are ever touched. Measured after V8's start, the
limit is what functions can really use, whatever V8's build reserves. A cgroup would
count resident memory instead, but is rarely writable where workers run.

Reading the process's size costs about 6 µs (one pread of /proc/self/statm), so the
runner checks it after every V8 call.
"""

from __future__ import annotations

import os
import resource

PAGE = os.sysconf("SC_PAGE_SIZE")
# /proc/self/statm: size resident shared text lib data dt, in pages.
_RESIDENT, _DATA = 1, 5
NEAR_LIMIT = 7 / 8  # of the budget: so close that the next allocation would fail
HEAVY = 1 / 2  # of the budget: worth a garbage collection before an isolate goes idle


class ProcessMemory:
    """This process's writable memory against its budget; `start` sets the OS limit."""

    def __init__(self, budget_bytes: int) -> None:
        self._statm = os.open("/proc/self/statm", os.O_RDONLY)
        self.budget = budget_bytes
        self.base: int | None = None
        self.exceeded = False  # set once a function went past the budget

    def start(self) -> None:
        """Once V8 has started (its first isolate exists), before any function runs."""
        if self.base is not None:
            return
        self.base = self._pages(_DATA) * PAGE
        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = self.base + self.budget
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))

    def _pages(self, field: int) -> int:
        return int(os.pread(self._statm, 128, 0).split()[field])

    def used(self) -> int:
        """Bytes of writable memory beyond what the process had once V8 started."""
        if self.base is None:
            return 0
        return self._pages(_DATA) * PAGE - self.base

    def resident(self) -> int:
        return self._pages(_RESIDENT) * PAGE

    def near_limit(self) -> bool:
        return self.used() >= self.budget * NEAR_LIMIT

    def heavy(self) -> bool:
        return self.used() >= self.budget * HEAVY
