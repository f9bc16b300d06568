"""A Celery worker that runs inside the server process (the embedded mode).

It consumes the same queues a separate `celery worker` would, from the in-process
broker, in a daemon thread. Signal handlers belong to the main thread (Daphne's),
so the worker is told not to install any.

The periodic tasks (the sweep, the retention cleanup) are sent by a beat in a thread of
this process too. The worker's own beat (`beat=True`) would fork a process, and with the
in-process broker what a forked beat sends stays in its own copy of the broker: no worker
would ever see it (and the fork outlives a server stopped with a plain `kill`).
"""

import threading

from celery.beat import EmbeddedService
from celery.worker import WorkController

from functions_ide import celery_adapter
from functions_ide.celery import app

QUEUES = ("default", "interactive")


class EmbeddedWorkController(WorkController):
    def on_consumer_ready(self, consumer) -> None:
        super().on_consumer_ready(consumer)
        # The web server shares this process and must be able to wait for a result.
        celery_adapter.allow_result_waits_in_this_process()
        self.ready.set()


_worker: EmbeddedWorkController | None = None
_beat = None  # the beat thread (celery.beat._Threaded), when started
_lock = threading.Lock()


def start(
    concurrency: int = 2, *, beat: bool = False, timeout: float = 30.0
) -> EmbeddedWorkController:
    """Start the embedded worker once per process and wait until it consumes.
    With `beat`, it also runs the periodic tasks (the sweep, the retention cleanup)."""
    global _worker, _beat
    with _lock:
        if _worker is not None:
            return _worker
        worker = EmbeddedWorkController(
            app=app,
            pool_cls="threads",
            concurrency=concurrency,
            queues=list(QUEUES),
            hostname=f"embedded@{threading.get_native_id()}",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel="WARNING",
        )
        worker.ready = threading.Event()
        thread = threading.Thread(target=worker.start, name="embedded-worker", daemon=True)
        thread.start()
        if not worker.ready.wait(timeout):
            raise RuntimeError("The embedded Celery worker did not start.")
        _worker = worker
        if beat:
            _beat = EmbeddedService(app, thread=True)
            _beat.start()
        return worker


def stop() -> None:
    global _worker, _beat
    with _lock:
        if _beat is not None:
            _beat.stop()
            _beat = None
        if _worker is not None:
            _worker.stop(in_sighandler=False)
            _worker = None
