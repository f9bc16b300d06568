"""The queue stage: the only part of ingest that talks to Celery.

Every piece of later work goes through here: executing accepted webhooks (batched by
the dispatcher under load), retries at their time, replays, the sweep's catch-up and
deliveries. Work is sent by task name, so no stage imports the task module (which
imports the stages), and tests replace one object, `broker`, to keep everything off
the broker.

Nothing waiting here is durable, and needs not be: the row it names is in the
database, and the sweep queues it again if a task is lost."""

import random
from collections.abc import Sequence

from django.conf import settings

from ingest.queue.dispatcher import Dispatcher

EXECUTE = "ingest.execute_batch"
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
    """Queue an accepted webhook's event, with the others accepted at about the same time."""
    dispatcher.add(ingest_event_id)


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


dispatcher = Dispatcher(execute)
