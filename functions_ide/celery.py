"""The Celery app. Tasks take ids and call one service; see ingest/tasks.py."""

import contextlib
import gc
import logging
import os
import sys

from celery import Celery, signals

from functions_ide import celery_adapter

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
    # Only tasks someone waits for store a result (a Run, a responding webhook's answer),
    # and they store none once their caller stopped waiting (catalog/task_results.py);
    # what slips through expires well after the longest wait (50 saved tests of 10 s).
    result_expires=20 * 60,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
app.autodiscover_tasks()


@signals.worker_ready.connect
def _freeze_startup_objects(**kwargs) -> None:
    """As in functions_ide/asgi.py: full collections no longer walk what startup loaded."""
    gc.freeze()


@signals.worker_init.connect
def _check_celery_adapter(**kwargs) -> None:
    """A worker runs only on the Celery its adaptations were checked with. Celery logs
    and swallows a signal handler's exception, so this one ends the process."""
    try:
        celery_adapter.ensure_compatible()
    except celery_adapter.CeleryIncompatible as exc:
        logging.getLogger(__name__).critical("%s", exc)
        raise SystemExit(f"The worker cannot start. {exc}") from None


@signals.worker_init.connect
def _refuse_invalid_settings(**kwargs) -> None:
    """What `manage.py check` refuses (a runner limit out of range) stops a worker too:
    Celery runs Django's checks but ignores their errors."""
    from django.core import checks

    errors = [e for e in checks.run_checks() if e.level >= checks.ERROR]
    if errors:
        text = " ".join(f"{e.msg} {e.hint or ''}".strip() for e in errors)
        logging.getLogger(__name__).critical("%s", text)
        raise SystemExit(f"The worker cannot start. {text}")


celery_adapter.survive_connection_close()


@signals.worker_init.connect
def _short_gil_turns(**kwargs) -> None:
    """A thread that waited on the database or a sandbox waits again for the GIL while
    other threads compute (a flood's big record): by default up to 5 ms each time, and a
    small webhook's way through a worker has some twenty such waits. Shorter turns
    give it back sooner (docs/ingest.md, "Fair sharing")."""
    from django.conf import settings

    if settings.CELERY_EMBEDDED_WORKER:
        return  # a thread of the web server's process: the server keeps Python's turns
    sys.setswitchinterval(settings.WORKER_SWITCH_INTERVAL_MS / 1000)


@signals.worker_init.connect
def _accepting_comes_first(**kwargs) -> None:
    """A worker process yields the CPU to the web servers on its machine: a webhook not
    accepted is lost to its sender's retries, one accepted waits durably for a worker.
    Under overload the backlog grows instead of the senders' waits (docs/deploy.md)."""
    from django.conf import settings

    if settings.CELERY_EMBEDDED_WORKER or not settings.WORKER_NICENESS:
        return  # embedded, the worker is threads of the web server's own process
    os.nice(settings.WORKER_NICENESS)
    # Linux may share the CPU between sessions first ("autogroups"), and only then by
    # nice within each: a worker that leads a session of its own (as a service does)
    # lowers that session's share too. Never another's: a server may share the session.
    if os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError), open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(settings.WORKER_NICENESS))
