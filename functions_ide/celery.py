"""The Celery app. Tasks take ids and call one service; see ingest/tasks.py."""

import gc
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "functions_ide.settings")

app = Celery("functions_ide")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged only after it ran, and given back if its worker dies,
    # so a killed worker never loses an accepted webhook.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # A few tasks held ahead, so a worker does not wait on the broker between batches;
    # those a killed worker held come back from the broker, or the sweep finds them.
    worker_prefetch_multiplier=4,
    task_default_queue="default",
    result_expires=3600,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
app.autodiscover_tasks()


@signals.worker_ready.connect
def _freeze_startup_objects(**kwargs) -> None:
    """As in functions_ide/asgi.py: full collections no longer walk what startup loaded."""
    gc.freeze()
