"""The queue stage: the only part of ingest that talks to Celery.

Every piece of later work goes through here: turns for accepted webhooks (one per
burst, from the dispatcher), retries at their time, replays, the sweep's catch-up and
deliveries. A turn names no events: the broker's queue is first in, first out, so the
worker that takes a turn chooses fairly what to run (ingest.execute). Work is sent by
task name, so no stage imports the task module (which imports the stages), and tests
replace one object, `broker`, to keep everything off the broker.

Nothing waiting here is durable, and needs not be: the row it names is in the
database, and the sweep queues it again if a task is lost."""

import math
import random
from collections.abc import Sequence

from django.conf import settings

from ingest.queue.dispatcher import Dispatcher

EXECUTE = "ingest.execute_batch"
TURN = "ingest.execute_turn"
RETRY = "ingest.execute"
DELIVER = "ingest.forward"


class Broker:
    """Sends a task by name through the Celery app of this process."""

    def send(self, task: str, *args, countdown: float | None = None) -> None:
        from celery import current_app

        # By name: a web server never imports the task module, so its registry does not
        # know ingest's tasks (looking one up there fails, and no webhook is queued).
        current_app.send_task(task, args, countdown=countdown)


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


def deliver(ingest_event_id: int, *, attempt: int = 1, in_s: float | None = None) -> None:
    """Send what an ingest event produced to its workspace's destination (`attempt` > 1
    for a retry, after `in_s`)."""
    broker.send(DELIVER, ingest_event_id, attempt, countdown=in_s)


def backoff_seconds(attempt: int) -> float:
    """How long a retry waits after its attempt-th failure: exponential with jitter,
    base·2^(n-1), capped, scaled by 50–100 %."""
    delay = min(settings.RETRY_BACKOFF_CAP_S, settings.RETRY_BACKOFF_BASE_S * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


dispatcher = Dispatcher(turns_for)
