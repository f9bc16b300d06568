"""Waiting for a Celery task's result (a test run's, a responding webhook's answer) at
most so long by the clock, and leaving no result behind that nobody waits for.

Over a polled result backend (the embedded mode's in-memory one) Celery's own timeout
counts only the sleeps between its looks, so a wait polled every few milliseconds ran
over by a fifth to a third on a busy machine; Redis tells the waiter at once and keeps
its timeout by the clock, so it is waited for as Celery does.

A caller forgets the result once it has it or stops waiting; a result stored after
that would stay in the backend (Redis) until it expires, and a flood of answers that
came late filled it. So a task someone waits for is told until when (`answer_by`, from
answer_by()) and runs through answered(): not at all once its caller stopped waiting,
and without storing a result when it ends after that. A task that may not start yet
(its workspace holds its share of the worker's threads) goes back to its queue with
run_again_soon(): the caller still waits for the same task, and others run meanwhile."""

import time
from collections.abc import Callable
from typing import TypeVar

from celery.exceptions import Ignore
from celery.exceptions import TimeoutError as ResultTimeout

__all__ = [
    "RESULT_POLL_S",
    "ResultTimeout",
    "answer_by",
    "answered",
    "result_within",
    "run_again_soon",
]

T = TypeVar("T")

# How often a polled backend is looked at again: Celery's default (0.5 s) would hold
# every answer back by up to that much.
RESULT_POLL_S = 0.005
# A result is stored at least this long before its caller stops waiting, or not at all:
# one stored as the caller forgets would stay (the clocks of two machines differ a little,
# and storing takes a moment).
STORE_MARGIN_S = 0.05


def answer_by(wait_s: float) -> float:
    """When (time.time()) a task's result must be stored for a caller that waits
    `wait_s` from now: the `answer_by` argument of the task it sends."""
    return time.time() + wait_s - STORE_MARGIN_S


def answered(answer_by: float | None, work: Callable[[], T]) -> T:
    """What `work()` returns, for a task whose caller waits until `answer_by` (None: a
    task sent before callers said so). When the caller has stopped waiting, before the
    work or after it (its error too), the task ends with Celery's Ignore: no result is
    stored, none is published."""
    if _late(answer_by):
        raise Ignore()
    try:
        result = work()
    except Exception:
        if _late(answer_by):
            raise Ignore() from None
        raise
    if _late(answer_by):
        raise Ignore()
    return result


# How long a task that may not start yet waits in its queue before it asks again.
AGAIN_IN_S = 0.1


def run_again_soon(task) -> None:
    """End this run of a bound task without a state (Ignore) and send its message again,
    with the same id and arguments, AGAIN_IN_S later: its caller waits for that id, so
    it gets the answer of the run that starts (or none, once `answer_by` has passed).
    No result is stored for this run, and the task takes no thread meanwhile."""
    request = task.request
    options = {"task_id": request.id, "countdown": AGAIN_IN_S}
    queue = (request.delivery_info or {}).get("routing_key")
    if queue:
        options["queue"] = queue
    task.apply_async(request.args, request.kwargs, **options)
    raise Ignore()


def _late(answer_by: float | None) -> bool:
    return answer_by is not None and time.time() >= answer_by


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
