"""The queue stage: the only part of ingest that talks to Celery.

Every piece of later work goes through here: turns for accepted webhooks (one per
burst, from the dispatcher, unless a turn is queued that no worker has started),
retries at their time, replays, the sweep's catch-up and deliveries. A turn names no
events: the broker's queue is first in, first out, so the worker that takes a turn
chooses fairly what to run (ingest.execute). Work is sent by
task name, so no stage imports the task module (which imports the stages), and tests
replace one object, `broker`, to keep everything off the broker.

Nothing waiting here is durable, and needs not be: the row it names is in the
database, and the sweep queues it again if a task is lost."""

import contextlib
import threading
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache

from catalog.task_results import answer_by, result_within
from ingest.queue.dispatcher import Dispatcher

EXECUTE = "ingest.execute_batch"
TURN = "ingest.execute_turn"
RETRY = "ingest.execute"
DELIVER = "ingest.deliver"
RESPOND = "ingest.respond"
PREVIEW = "ingest.preview"
# The queue of what someone waits for: the editor's Run, a sender waiting for its answer.
INTERACTIVE = "interactive"
# Set while a turn is queued that no worker has started (in the cache every process
# shares), per workspace whose work queued it, until when it holds back that
# workspace's next turns. Briefly: a worker whose threads are all busy may hold a
# queued turn while another worker's thread idles.
TURN_MARK = "ingest:turn-queued:{}"
TURN_MARK_S = 0.05


class NoAnswer(Exception):
    """No worker answered in time, or the broker could not be reached."""


class Broker:
    """Sends a task by name through the Celery app of this process."""

    def send(self, task: str, *args, countdown: float | None = None) -> None:
        from celery import current_app

        # By name: a web server never imports the task module, so its registry does not
        # know ingest's tasks (looking one up there fails, and no webhook is queued).
        # Nobody waits for their results: without ignore_result, each send would also
        # subscribe to its result in the backend (a Redis round trip, and a subscription
        # this process keeps).
        current_app.send_task(task, args, countdown=countdown, ignore_result=True)

    def ask(self, task: str, *args, queue: str, wait_s: float, **kwargs):
        """Send a task and wait at most `wait_s` for its result; NoAnswer otherwise
        (the task may still run later: what it does must not need the caller). The task
        is told until when its result is waited for (`answer_by`): past it, it stores
        none (catalog.task_results), so no answer nobody reads stays in the backend."""
        from celery import current_app

        kwargs["answer_by"] = answer_by(wait_s)
        try:
            pending = current_app.send_task(task, args, kwargs, queue=queue)
        except Exception as exc:  # the broker is unreachable
            raise NoAnswer(f"{task} was not queued ({type(exc).__name__})") from exc
        try:
            return result_within(pending, wait_s)
        except Exception as exc:  # no result in time, or the task failed
            raise NoAnswer(f"{task} gave no answer ({type(exc).__name__})") from exc
        finally:
            with contextlib.suppress(Exception):  # the result expires anyway
                pending.forget()


broker = Broker()


def execute(ingest_event_ids: Sequence[int]) -> None:
    """Queue these ingest events now, at most INGEST_BATCH_MAX per task."""
    size = settings.INGEST_BATCH_MAX
    for start in range(0, len(ingest_event_ids), size):
        broker.send(EXECUTE, list(ingest_event_ids[start : start + size]))


def execute_soon(workspace_id: int) -> None:
    """Give a webhook this workspace accepted a turn, with the others accepted at about
    the same time."""
    dispatcher.add(workspace_id)


def respond(ingest_event_id: int, *, workspace_id: int, wait_s: float) -> dict:
    """Run a responding function's webhook now, on the interactive queue, within its
    workspace's share of the worker, and wait at most `wait_s` for what its sender gets
    (ingest.execute.ingest_event_respond). NoAnswer when none came in time."""
    return broker.ask(
        RESPOND, ingest_event_id, queue=INTERACTIVE, wait_s=wait_s, workspace_id=workspace_id
    )


def turn(workspace_id: int | None = None) -> bool:
    """Queue a turn for a workspace's work (None: for any): a worker runs the fairest
    due work. Not when a turn for it was queued less than TURN_MARK_S ago that no
    worker has started: that one claims what is due now, and a second would find it
    taken (most turns did, when every burst queued its own). A turn for another
    workspace's work never waits for it, so a flood cannot hold back a quiet webhook.
    Whether a turn was sent."""
    mark, now = TURN_MARK.format(workspace_id), time.time()
    if not cache.add(mark, now + TURN_MARK_S, timeout=1):
        if cache.get(mark, 0.0) > now:
            return False
        cache.set(mark, now + TURN_MARK_S, timeout=1)
    try:
        broker.send(TURN, workspace_id)
    except Exception:
        cache.delete(mark)  # or no turn would go out for it until it expires
        raise
    return True


def turn_started(workspace_id: int | None) -> None:
    """A worker starts a turn queued for this workspace's work, before it claims: its
    work due from now needs another."""
    cache.delete(TURN_MARK.format(workspace_id))


def _turns_for(workspace_ids: Sequence[int]) -> bool:
    """A burst's turns: one for each workspace whose webhooks are in it (a turn claims
    one workspace's work). Whether the workers are busy: every workspace of the burst
    had a turn queued that no worker has started."""
    sent = [turn(workspace_id) for workspace_id in dict.fromkeys(workspace_ids)]
    return not any(sent)


def preview(preview_id: int) -> None:
    """Run a preview on recent traffic (ingest.previews) on the default queue: it is
    background work, and on the interactive one it would hold back a waiting sender."""
    broker.send(PREVIEW, preview_id)


def retry(ingest_event_id: int, *, in_s: float) -> None:
    """Run one more attempt of an ingest event once its backoff has passed."""
    broker.send(RETRY, ingest_event_id, countdown=in_s)


def deliver(destination_id: int, *, in_s: float | None = None) -> None:
    """Queue a turn of a destination (after `in_s`): it sends what is due for it."""
    broker.send(DELIVER, destination_id, countdown=in_s)


def deliver_soon(destination_id: int) -> None:
    """Queue a turn of a destination after DELIVERY_LINGER_MS, unless this process
    queued one that has not started yet: what is recorded meanwhile waits for it."""
    linger = settings.DELIVERY_LINGER_MS / 1000
    if _delivery_turns.claim(destination_id, linger):
        broker.send(DELIVER, destination_id, countdown=linger)


class _Lingering:
    """Which destinations have a turn queued by this process, until when."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[int, float] = {}

    def claim(self, destination_id: int, linger_s: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._until.get(destination_id, 0.0) > now:
                return False
            if len(self._until) > 10_000:
                self._until = {d: t for d, t in self._until.items() if t > now}
            self._until[destination_id] = now + linger_s
            return True


_delivery_turns = _Lingering()


dispatcher = Dispatcher(_turns_for)
