"""A worker gives the GIL up after WORKER_SWITCH_INTERVAL_MS, not Python's 5 ms, so a
small webhook's thread is not held up behind a flood's big records."""

import sys

from celery import signals


def test_a_starting_worker_shortens_the_threads_turns(settings):
    settings.WORKER_SWITCH_INTERVAL_MS = 0.25
    before = sys.getswitchinterval()
    try:
        signals.worker_init.send(sender=None)
        assert sys.getswitchinterval() == 0.00025
    finally:
        sys.setswitchinterval(before)
