"""In the embedded mode a real Celery worker consumes tasks inside the process."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings

from functions_ide import embedded_worker
from functions_ide.celery import app
from functions_ide.tasks import ping

ROOT = Path(__file__).resolve().parents[2]

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


# In a process of its own: the embedded worker starts once per process, and this one
# must start with its beat, as `manage.py serve` starts it.
BEAT_PROBE = """
import json, multiprocessing, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from celery import signals
run = []
signals.task_prerun.connect(lambda task=None, **kwargs: run.append(task.name), weak=False)
from functions_ide import embedded_worker
embedded_worker.start(concurrency=1, beat=True)
deadline = time.monotonic() + 20
while "ingest.sweep" not in run and time.monotonic() < deadline:
    time.sleep(0.1)
children = len(multiprocessing.active_children())
embedded_worker.stop()
print(json.dumps({"run": run, "children": children}))
"""


def test_the_beat_sends_the_periodic_tasks_to_the_in_process_worker(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="functions_ide.settings",
        DATA_DIR=str(tmp_path),
        SWEEP_INTERVAL_S="0.2",
        LOG_LEVEL="WARNING",
    )
    done = subprocess.run(
        [sys.executable, "-c", BEAT_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=90,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert "ingest.sweep" in probe["run"], done.stderr
    assert probe["children"] == 0  # a thread, not a forked process
