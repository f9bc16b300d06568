"""A worker gives the GIL up after WORKER_SWITCH_INTERVAL_MS, not Python's 5 ms, so a
small webhook's thread is not held up behind a flood's big records."""

import sys

from functions_ide.celery import _short_gil_turns


def test_a_starting_worker_shortens_the_threads_turns(settings):
    settings.WORKER_SWITCH_INTERVAL_MS = 0.25
    settings.CELERY_EMBEDDED_WORKER = False
    before = sys.getswitchinterval()
    try:
        _short_gil_turns()  # what the worker_init signal calls
        assert sys.getswitchinterval() == 0.00025
    finally:
        sys.setswitchinterval(before)


def test_the_embedded_worker_leaves_the_servers_turns_alone(settings):
    settings.CELERY_EMBEDDED_WORKER = True
    before = sys.getswitchinterval()
    _short_gil_turns()
    assert sys.getswitchinterval() == before
