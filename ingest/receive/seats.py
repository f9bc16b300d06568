"""Each workspace's share of the seats where senders wait for a responding function's
answer: WEBHOOK_RESPONSE_THREADS per server process, the threads they wait on
(ingest.receive.asgi).

A workspace whose responding functions are slow, or flooded, must not hold every seat:
the last quarter of them (at least one) are kept for workspaces that hold none, one
each, so another workspace's sender still gets its answer while a flood waits; the
flood holds at most the other three quarters. A sender refused a seat gets the 503
with Retry-After of every unavailable answer, before its webhook is stored (its retry
is no duplicate).

The same rule as a worker's threads (ingest.execute.sharing). Counted per process, in
memory: the threads are the process's own."""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

# A seat whose sender's wait ended this long ago is free again, given back or not (a
# connection dropped between the accept and the wait leaves one behind).
LAPSE_MARGIN_S = 1.0


def reserved_seats(total: int) -> int:
    """How many of `total` seats only workspaces that hold none may take."""
    return max(1, total // 4)


@dataclass(frozen=True, eq=False)
class Seat:
    """One sender's seat, until its wait ends (time.monotonic())."""

    workspace_id: int
    until: float


class Seats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[Seat] = set()

    def take(self, workspace_id: int, *, until: float) -> Seat | None:
        """A seat for one of the workspace's senders until `until`, if its share
        allows; None when the sender must be answered 503."""
        total = settings.WEBHOOK_RESPONSE_THREADS
        reserved = reserved_seats(total)
        with self._lock:
            self._drop_lapsed(time.monotonic())
            free = total - len(self._held)
            if free <= 0:
                return None
            if total > reserved and free <= reserved and self._holds(workspace_id):
                return None
            seat = Seat(workspace_id, until + LAPSE_MARGIN_S)
            self._held.add(seat)
            return seat

    def give_back(self, seat: Seat) -> None:
        with self._lock:
            self._held.discard(seat)

    def held(self) -> dict[int, int]:
        """Seats held per workspace in this process."""
        with self._lock:
            self._drop_lapsed(time.monotonic())
            counts: dict[int, int] = {}
            for seat in self._held:
                counts[seat.workspace_id] = counts.get(seat.workspace_id, 0) + 1
            return counts

    def _holds(self, workspace_id: int) -> bool:
        return any(seat.workspace_id == workspace_id for seat in self._held)

    def _drop_lapsed(self, now: float) -> None:
        self._held = {seat for seat in self._held if seat.until > now}


seats = Seats()
