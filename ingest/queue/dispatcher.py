"""Batching what the accept path queues, many events per turn.

A task costs the accept path a broker round trip and a worker its bookkeeping, so under
load the webhooks accepted close together share a turn per workspace, whose worker runs
them as one batch (ingest.execute). Under load means the workers are busy: the last
publish found its turns still queued, not started. Then the next gathers for
INGEST_DISPATCH_LINGER_MS, which costs no latency (the queued turn claims those webhooks
too when it starts). While the workers keep up, a webhook's turn is queued at once."""

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

from django.conf import settings

logger = logging.getLogger(__name__)


class Dispatcher:
    """One thread per process publishes what the accept path adds."""

    def __init__(self, publish: Callable[[Sequence[int]], bool]) -> None:
        """`publish` queues the turns of the workspaces given; true when the workers
        are busy (the turns were queued already and not started)."""
        self._publish = publish
        self._reset()
        # A forked child inherits neither the thread nor a usable lock.
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.flush)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._workspace_ids: list[int] = []
        self._thread: threading.Thread | None = None
        self._busy = False

    def add(self, workspace_id: int) -> None:
        """A webhook of this workspace was accepted."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ingest-dispatch", daemon=True
                )
                self._thread.start()
            self._workspace_ids.append(workspace_id)
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._busy:  # let the burst gather: a queued turn will take it anyway
                time.sleep(settings.INGEST_DISPATCH_LINGER_MS / 1000)
            try:
                self.flush()
            except Exception:  # never let the thread die: later webhooks need it
                logger.exception("the ingest dispatcher failed; the sweep will queue its events")

    def flush(self) -> None:
        with self._lock:
            self._wake.clear()
            accepted, self._workspace_ids = self._workspace_ids, []
        if not accepted:
            return
        try:
            self._busy = bool(self._publish(accepted))
        except Exception:
            self._busy = False
            logger.warning(
                "%d accepted webhooks not queued (the broker is unavailable); the sweep will",
                len(accepted),
            )
