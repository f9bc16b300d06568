"""How many of a worker process's threads deliveries may hold at once.

Delivery turns run on the threads that execute functions. A destination that answers
slowly (up to its timeout, at each retry) must not take them all: at most half of a
process's threads (one, with two or three) send to destinations at a time, one turn per
destination, so executions always keep the other half and a slow destination holds one
thread, not every one. A turn that finds no free slot is queued again a moment later.

Counted per process, in memory, as ingest.execute.sharing counts workspaces' shares."""

import threading
from collections.abc import Callable


class Slots:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sending: set[int] = set()
        self._threads: Callable[[], int | None] = lambda: None

    def count_threads_with(self, threads: Callable[[], int | None]) -> None:
        self._threads = threads

    def take(self, destination_id: int) -> bool:
        """A slot for one turn of this destination, if one is free and the destination
        has no turn running in this process."""
        with self._lock:
            limit = max(1, (self._threads() or 2) // 2)
            if destination_id in self._sending or len(self._sending) >= limit:
                return False
            self._sending.add(destination_id)
            return True

    def give_back(self, destination_id: int) -> None:
        with self._lock:
            self._sending.discard(destination_id)


slots = Slots()
