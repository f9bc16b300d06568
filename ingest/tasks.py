"""Celery tasks of the ingest app: each takes ids and calls one service."""

from celery import shared_task

from ingest import services


@shared_task(name="ingest.execute", ignore_result=True)
def execute(ingest_event_id: int) -> None:
    services.ingest_event_execute(ingest_event_id=ingest_event_id)


@shared_task(name="ingest.forward", bind=True, ignore_result=True)
def forward(self, ingest_event_id: int) -> None:
    attempt = self.request.retries + 1
    if services.ingest_event_forward(ingest_event_id=ingest_event_id, attempt=attempt) == "retry":
        raise self.retry(countdown=services.backoff_seconds(attempt), max_retries=None)


@shared_task(name="ingest.sweep", ignore_result=True)
def sweep() -> None:
    services.ingest_events_sweep()


@shared_task(name="ingest.cleanup", ignore_result=True)
def cleanup() -> None:
    services.retention_cleanup()
