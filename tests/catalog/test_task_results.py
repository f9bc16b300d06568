"""Waiting for a task's result keeps its time by the clock, however slowly a polled
backend answers; Redis's results are waited for as Celery does."""

import time
from types import SimpleNamespace

import pytest

from catalog.task_results import ResultTimeout, result_within


class Pending:
    """A task's result over a polled backend that takes `look_s` per look."""

    def __init__(self, *, ready_after_s: float | None, look_s: float = 0.0, is_async=False):
        self.backend = SimpleNamespace(is_async=is_async)
        self.ready_at = None if ready_after_s is None else time.monotonic() + ready_after_s
        self.look_s = look_s
        self.gets = []

    def ready(self) -> bool:
        time.sleep(self.look_s)
        return self.ready_at is not None and time.monotonic() >= self.ready_at

    def get(self, **kwargs):
        self.gets.append(kwargs)
        return {"status": "succeeded"}


def test_no_result_ends_the_wait_on_time_however_slow_each_look():
    pending = Pending(ready_after_s=None, look_s=0.02)
    started = time.monotonic()
    with pytest.raises(ResultTimeout):
        result_within(pending, 0.2)
    # Counting only the sleeps between looks (Celery's way), this took about 1 s.
    assert time.monotonic() - started < 0.2 + 0.1


def test_a_result_is_taken_as_soon_as_it_is_there():
    pending = Pending(ready_after_s=0.05)
    started = time.monotonic()
    assert result_within(pending, 5.0) == {"status": "succeeded"}
    assert time.monotonic() - started < 0.05 + 0.1


def test_redis_results_are_waited_for_by_celery_with_the_whole_wait():
    pending = Pending(ready_after_s=None, is_async=True)
    assert result_within(pending, 2.5) == {"status": "succeeded"}
    assert pending.gets == [{"timeout": 2.5}]
