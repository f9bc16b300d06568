"""Each workspace's share of this worker process's threads.

A workspace that floods the workers (big outputs take seconds each to record) must not
hold every thread of a process: the last INGEST_RESERVED_THREADS free ones are kept for
workspaces that run nothing here, one event at a time, so a quiet workspace's webhook
finds a thread at once, and waits at most for one execution when a second flood took
it. The other threads go turn by turn to the fairest due work (claims.claim_next).

Counted per process, in memory: the threads of a process are its own, and a worker
that dies takes its counts with it."""

import enum
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable

from django.conf import settings

# Workspaces whose last turn is remembered; past it, the longest unserved are forgotten
# (and come first again, as if they were new).
MAX_REMEMBERED = 10_000
# How long a turn queued for a workspace waits for that workspace's running turn in
# this process before it runs beside it. Turns of quick runs beside each other share one
# interpreter lock and one sandbox, and each takes as long as both would one after the
# other (at 300 webhooks/s, webhook-to-event 53 ms with 4 threads, 23 ms with one); a
# turn of slow runs (a function waiting on fetch) is joined after this.
TURN_HOLD_S = 0.05


class Seat(enum.Enum):
    """The thread a turn took: one of those shared by all, or a reserved one."""

    SHARED = "shared"
    RESERVED = "reserved"  # for one event at a time


class Shares:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy: Counter[int] = Counter()
        self._holding: set[int] = set()
        self._threads: Callable[[], int | None] = lambda: None
        self._owed = 0
        self._served: dict[int, float] = {}

    def count_threads_with(self, threads: Callable[[], int | None]) -> None:
        """How many threads this process runs turns on (read when needed: a worker
        resolves its concurrency after it announced itself); None when unknown, for
        instance outside a worker, and then nothing is reserved."""
        self._threads = threads

    def threads(self) -> int | None:
        return self._threads()

    def allows(self, workspace_id: int) -> bool:
        """Whether another thread of this process could take this workspace's work now."""
        with self._lock:
            return self._seat(workspace_id) is not None

    def enter(self, workspace_id: int) -> Seat | None:
        """Take a thread for a workspace's work, if its share allows; None when the
        turn must leave that workspace's work to others."""
        with self._lock:
            seat = self._seat(workspace_id)
            if seat is None:
                return None
            self._busy[workspace_id] += 1
            self._served[workspace_id] = time.monotonic()
            if len(self._served) > MAX_REMEMBERED:
                self._forget_oldest()
            return seat

    def leave(self, workspace_id: int) -> None:
        with self._lock:
            self._busy[workspace_id] -= 1
            if self._busy[workspace_id] <= 0:
                del self._busy[workspace_id]
                self._idle.notify_all()

    def wait_turn(self, workspace_id: int, timeout_s: float = TURN_HOLD_S) -> bool:
        """Before a turn queued for this workspace claims: wait until nothing of it runs
        in this process (whatever holds its share: a turn, a responding webhook, an
        editor's Run), at most `timeout_s`. False when another turn queued for it waits
        already: that one claims what is due when it starts, and this one is not
        needed."""
        with self._lock:
            if workspace_id in self._holding:
                return False
            self._holding.add(workspace_id)
            try:
                self._idle.wait_for(lambda: not self._busy[workspace_id], timeout_s)
            finally:
                self._holding.discard(workspace_id)
            return True

    def turned_away(self) -> None:
        """A turn found only work whose workspace was at its share: the thread that
        next leaves owes the queue a turn, or that work would wait for the sweep."""
        with self._lock:
            self._owed = min(self._owed + 1, max(1, self._threads() or 1))

    def owes_a_turn(self) -> bool:
        with self._lock:
            if not self._owed:
                return False
            self._owed -= 1
            return True

    def least_recently_served(self, workspace_ids: Iterable[int]) -> list[int]:
        """The workspaces in the order this process last gave them a thread, those it
        never did first (a stable sort: ties keep the order given)."""
        with self._lock:
            return sorted(workspace_ids, key=lambda w: self._served.get(w, 0.0))

    def _forget_oldest(self) -> None:
        for workspace_id in sorted(self._served, key=self._served.get)[: MAX_REMEMBERED // 2]:
            del self._served[workspace_id]

    def _seat(self, workspace_id: int) -> Seat | None:
        threads, reserved = self._threads(), settings.INGEST_RESERVED_THREADS
        if not threads or threads <= reserved or threads - sum(self._busy.values()) > reserved:
            return Seat.SHARED
        return None if self._busy[workspace_id] else Seat.RESERVED

    def busy(self) -> dict[int, int]:
        """Threads busy per workspace in this process."""
        with self._lock:
            return dict(self._busy)


shares = Shares()
