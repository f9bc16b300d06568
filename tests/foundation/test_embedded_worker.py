"""In the embedded mode a real Celery worker consumes tasks inside the process."""

import threading

import pytest
from django.conf import settings

from functions_ide import embedded_worker
from functions_ide.celery import app
from functions_ide.tasks import ping

pytestmark = pytest.mark.skipif(
    not settings.EMBEDDED, reason="the embedded worker belongs to the embedded mode"
)


def test_a_task_is_executed_by_the_in_process_worker():
    assert app.conf.task_always_eager is False
    worker = embedded_worker.start(concurrency=1)
    try:
        result = ping.apply_async(queue="default")
        assert result.get(timeout=10) == "pong"
        assert any(t.name == "embedded-worker" for t in threading.enumerate())
        assert worker.hostname.startswith("embedded@")
    finally:
        embedded_worker.stop()
