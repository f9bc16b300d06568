"""Waiting for a Celery task's result (a test run's, a responding webhook's answer) at
most so long by the clock.

Over a polled result backend (the embedded mode's in-memory one) Celery's own timeout
counts only the sleeps between its looks, so a wait polled every few milliseconds ran
over by a fifth to a third on a busy machine; Redis tells the waiter at once and keeps
its timeout by the clock, so it is waited for as Celery does."""

import time

from celery.exceptions import TimeoutError as ResultTimeout

__all__ = ["RESULT_POLL_S", "ResultTimeout", "result_within"]

# How often a polled backend is looked at again: Celery's default (0.5 s) would hold
# every answer back by up to that much.
RESULT_POLL_S = 0.005


def result_within(pending, wait_s: float):
    """The task's result (its error raised, as AsyncResult.get does), or ResultTimeout
    once `wait_s` seconds have passed."""
    if pending.backend.is_async:
        return pending.get(timeout=max(0.0, wait_s))
    deadline = time.monotonic() + wait_s
    while not pending.ready():
        left = deadline - time.monotonic()
        if left <= 0:
            raise ResultTimeout(f"no result in {wait_s:.3f} s")
        time.sleep(min(RESULT_POLL_S, left))
    return pending.get(timeout=RESULT_POLL_S, interval=RESULT_POLL_S)
