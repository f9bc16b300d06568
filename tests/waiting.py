"""Waiting on a condition instead of sleeping a fixed time: a test is as fast as the work
it waits for, and a slow machine only makes it slower, never wrong."""

import time


def wait_until(predicate, timeout: float = 15.0, *, interval: float = 0.05, what: str = ""):
    """Poll until predicate() is truthy and return its value; fail after `timeout` s,
    saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)
