"""The queue stage: the only part of ingest that talks to Celery.

Every piece of later work goes through here: turns for accepted webhooks (one per
burst, from the dispatcher), retries at their time, replays, the sweep's catch-up and
deliveries. A turn names no events: the broker's queue is first in, first out, so the
worker that takes a turn chooses fairly what to run (ingest.execute). Work is sent by
task name, so no stage imports the task module (which imports the stages), and tests
replace one object, `broker`, to keep everything off the broker.

Nothing waiting here is durable, and needs not be: the row it names is in the
database, and the sweep queues it again if a task is lost."""

import contextlib
import math
import random
import threading
import time
from collections.abc import Sequence

from django.conf import settings

from ingest.queue.dispatcher import Dispatcher

EXECUTE = "ingest.execute_batch"
TURN = "ingest.execute_turn"
RETRY = "ingest.execute"
DELIVER = "ingest.deliver"
RESPOND = "ingest.respond"
# The queue of what someone waits for: the editor's Run, a sender waiting for its answer.
INTERACTIVE = "interactive"
# How often a wait for a task's result looks again, where the result backend is polled
# (the embedded mode's in-memory one; Redis tells the waiter at once).
RESULT_POLL_S = 0.005


class NoAnswer(Exception):
    """No worker answered in time, or the broker could not be reached."""


class Broker:
    """Sends a task by name through the Celery app of this process."""

    def send(self, task: str, *args, countdown: float | None = None) -> None:
        from celery import current_app

        # By name: a web server never imports the task module, so its registry does not
        # know ingest's tasks (looking one up there fails, and no webhook is queued).
        current_app.send_task(task, args, countdown=countdown)

    def ask(self, task: str, *args, queue: str, wait_s: float):
        """Send a task and wait at most `wait_s` for its result; NoAnswer otherwise
        (the task may still run later: what it does must not need the caller)."""
        from celery import current_app

        try:
            pending = current_app.send_task(task, args, queue=queue)
        except Exception as exc:  # the broker is unreachable
            raise NoAnswer(f"{task} was not queued ({type(exc).__name__})") from exc
        try:
            return pending.get(timeout=max(0.0, wait_s), interval=RESULT_POLL_S)
        except Exception as exc:  # no result in time, or the task failed
            raise NoAnswer(f"{task} gave no answer ({type(exc).__name__})") from exc
        finally:
            with contextlib.suppress(Exception):  # the result expires anyway
                pending.forget()


broker = Broker()


def execute(ingest_event_ids: Sequence[int]) -> None:
    """Queue these ingest events now, at most INGEST_BATCH_MAX per task."""
    size = settings.INGEST_BATCH_MAX
    for start in range(0, len(ingest_event_ids), size):
        broker.send(EXECUTE, list(ingest_event_ids[start : start + size]))


def execute_soon(ingest_event_id: int) -> None:
    """Give an accepted webhook's event a turn, with the others accepted at about the
    same time."""
    dispatcher.add(ingest_event_id)


def respond(ingest_event_id: int, *, wait_s: float) -> dict:
    """Run a responding function's webhook now, on the interactive queue, and wait at
    most `wait_s` for what its sender gets (ingest.execute.ingest_event_respond).
    NoAnswer when none came in time."""
    return broker.ask(RESPOND, ingest_event_id, queue=INTERACTIVE, wait_s=wait_s)


def turn() -> None:
    """Queue a turn: a worker runs the fairest due work."""
    broker.send(TURN)


def turns_for(ingest_event_ids: Sequence[int]) -> None:
    """Queue turns enough for these events: one per INGEST_BATCH_MAX of them."""
    for _ in range(math.ceil(len(ingest_event_ids) / settings.INGEST_BATCH_MAX)):
        turn()


def retry(ingest_event_id: int, *, in_s: float) -> None:
    """Run one more attempt of an ingest event once its backoff has passed."""
    broker.send(RETRY, ingest_event_id, countdown=in_s)


def deliver(destination_id: int, *, in_s: float | None = None) -> None:
    """Queue a turn of a destination (after `in_s`): it sends what is due for it."""
    broker.send(DELIVER, destination_id, countdown=in_s)


def deliver_soon(destination_id: int) -> None:
    """Queue a turn of a destination after DELIVERY_LINGER_MS, unless this process
    queued one that has not started yet: what is recorded meanwhile waits for it."""
    linger = settings.DELIVERY_LINGER_MS / 1000
    if _delivery_turns.claim(destination_id, linger):
        broker.send(DELIVER, destination_id, countdown=linger)


class _Lingering:
    """Which destinations have a turn queued by this process, until when."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[int, float] = {}

    def claim(self, destination_id: int, linger_s: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._until.get(destination_id, 0.0) > now:
                return False
            if len(self._until) > 10_000:
                self._until = {d: t for d, t in self._until.items() if t > now}
            self._until[destination_id] = now + linger_s
            return True


_delivery_turns = _Lingering()


def backoff_seconds(attempt: int) -> float:
    """How long a retry waits after its attempt-th failure: exponential with jitter,
    base·2^(n-1), capped, scaled by 50–100 %."""
    delay = min(settings.RETRY_BACKOFF_CAP_S, settings.RETRY_BACKOFF_BASE_S * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


dispatcher = Dispatcher(turns_for)
