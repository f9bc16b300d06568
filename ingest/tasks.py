"""Celery tasks of the ingest app: each takes ids and calls one service. They are
queued by name through ingest.queue, never called from the stages."""

from celery import shared_task, signals
from django.db import DatabaseError

from catalog.task_results import answered, run_again_soon
from ingest import services

# A database that is briefly unavailable delays a task instead of dropping it; after
# the last retry the periodic sweep still finds the event.
DATABASE_RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 1,
    "retry_backoff_max": 30,
    "max_retries": 8,
}


@shared_task(name="ingest.execute", ignore_result=True, **DATABASE_RETRY)
def execute(ingest_event_id: int) -> None:
    services.ingest_event_execute(ingest_event_id=ingest_event_id)


@shared_task(name="ingest.execute_batch", ignore_result=True, **DATABASE_RETRY)
def execute_batch(ingest_event_ids: list[int]) -> None:
    services.ingest_events_execute(ingest_event_ids=ingest_event_ids)


@shared_task(name="ingest.respond", bind=True)
def respond(
    self, ingest_event_id: int, *, workspace_id: int | None = None, answer_by: float | None = None
) -> dict:
    """On the interactive queue; the web process waits for what it returns until
    `answer_by`, and nothing is run or stored after that (catalog.task_results). While
    its workspace holds its share of this worker's threads it goes back to the queue for
    a moment, leaving the thread to others. Not retried: a retry's backoff outlasts the
    sender's wait, and the webhook is a row that runs by itself once the sender stopped
    waiting."""
    outcome = answered(
        answer_by,
        lambda: services.ingest_event_respond(
            ingest_event_id=ingest_event_id, workspace_id=workspace_id
        ),
    )
    if outcome.get("busy"):
        run_again_soon(self)
    return outcome


@shared_task(name="ingest.execute_turn", ignore_result=True, **DATABASE_RETRY)
def execute_turn(queued_for: int | None = None) -> None:
    services.ingest_events_execute_next(queued_for=queued_for)


@shared_task(name="ingest.deliver", ignore_result=True, **DATABASE_RETRY)
def deliver(destination_id: int) -> None:
    services.destination_deliver(destination_id=destination_id)


@shared_task(name="ingest.preview", ignore_result=True, **DATABASE_RETRY)
def preview(preview_id: int) -> None:
    services.preview_run(preview_id=preview_id)


@shared_task(name="ingest.sweep", ignore_result=True)
def sweep() -> None:
    services.ingest_events_sweep()


@shared_task(name="ingest.watch_rollouts", ignore_result=True)
def watch_rollouts() -> None:
    services.rollouts_watch()


@shared_task(name="ingest.cleanup", ignore_result=True)
def cleanup() -> None:
    services.retention_cleanup()


@signals.worker_init.connect
def _count_threads(sender, **kwargs) -> None:
    """Each workspace's share of a worker is counted in the threads of its process."""
    services.count_worker_threads_with(lambda: _threads_per_process(sender))


def _threads_per_process(worker) -> int | None:
    # Read late: "auto" concurrency is resolved after worker_init. A prefork child
    # runs one task at a time, so it has no threads to share.
    pool = worker.pool_cls
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    return worker.concurrency if "thread" in name and isinstance(worker.concurrency, int) else None
