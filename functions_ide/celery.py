"""The Celery app. Tasks take ids and call one service; see ingest/tasks.py."""

import gc
import logging
import os

from celery import Celery, signals
from celery.worker.consumer.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "functions_ide.settings")

app = Celery("functions_ide")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # A task is acknowledged when a worker takes it. No webhook rests on the broker:
    # an ingest event is a row, and the sweep queues again every event a lost task
    # leaves pending or claimed (with Redis, an unacknowledged task would only come back
    # after an hour anyway). A late acknowledgement, sent by a worker thread after the
    # broker restarted, kills a threads-pool worker.
    task_acks_late=False,
    # One task held per thread: an editor's test run (the interactive queue) never
    # waits behind a backlog another worker could have taken.
    worker_prefetch_multiplier=1,
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


def _survive_connection_close(consumer_class) -> None:
    """After losing the broker, Celery 5.7 closes the lost connection before it
    reconnects, and with Redis the close itself can fail (AttributeError: the channel's
    pool is already gone), which stops the worker for good. The consumer has let go of
    that connection by then, so it reconnects as usual once the failure is ignored."""
    lost = consumer_class.on_connection_error_after_connected

    def on_connection_error_after_connected(self, exc):
        try:
            lost(self, exc)
        except AttributeError:
            logging.getLogger(__name__).warning("the lost broker connection did not close cleanly")

    consumer_class.on_connection_error_after_connected = on_connection_error_after_connected


_survive_connection_close(Consumer)
