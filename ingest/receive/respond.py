"""The answer of a function that responds to its sender.

Its webhook is stored first, as any other (durable before anything runs), then run at
once on the interactive queue (ingest.queue.respond; the run is recorded as any other
execution, with its retries), and the sender waits for it: at most the function's time
limit plus RESPONSE_WAIT_MARGIN_S, from the moment the webhook arrived. The sender gets:

- the function's response (a Response or {status, headers, body}, runner.response);
- the usual answer, `200 {"id": …}`, when it returned nothing;
- 500 with a generic body when the run failed or timed out (never the error's text:
  it is for the function's author, in the execution);
- 503 with Retry-After when no worker answered in time or the broker is unreachable:
  the webhook is stored and runs later all the same, as any other.

A function's answer is served from the product's origin, so it goes with headers that
keep a browser from treating it as a page of the product (a sandbox without scripts,
that nothing may frame), and with no header runner.response does not allow (checked
again here: what the web process serves is its own to vouch for)."""

import logging
import time

from django.utils import timezone

from ingest import metrics, queue
from ingest.models import IngestEvent
from ingest.receive.accept import Accepted
from ingest.receive.http import Answer
from runner.response import checked_response

logger = logging.getLogger(__name__)

FAILED = {"error": "The function could not answer this request."}
UNAVAILABLE = {"error": "Temporarily unavailable; please retry."}
# With every function's own answer (runner.response lets a function set none of them).
GUARD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
DEFAULT_CONTENT_TYPE = "text/plain; charset=utf-8"


class Responding:
    """A stored webhook whose sender waits for its function's answer."""

    def __init__(self, accepted: Accepted, *, deadline: float) -> None:
        self.accepted = accepted
        self.deadline = deadline  # time.monotonic() past which the sender is answered 503

    def wait(self) -> Answer:
        """Run the function and answer with what it returned; never past the deadline.
        The sender's seat is given back once it has its answer."""
        try:
            return self._wait()
        finally:
            self.accepted.give_back_seat()

    def _wait(self) -> Answer:
        event = self.accepted.event
        left_s = self.deadline - time.monotonic()
        if left_s <= 0:  # it waited for a thread that long: too late to run it for the sender
            logger.warning("ingest event %s: no thread was free to answer its sender", event.pk)
            _release(self.accepted)
            return _unavailable()
        workspace_id = self.accepted.target.workspace_id
        try:
            outcome = queue.respond(event.pk, workspace_id=workspace_id, wait_s=left_s)
        except queue.NoAnswer as exc:
            logger.warning(
                "ingest event %s: the sender was not answered in time (%s)", event.pk, exc
            )
            _release(self.accepted)
            return _unavailable()
        return answer_of(event, outcome)


def answer_of(event: IngestEvent, outcome: dict) -> Answer:
    """What the sender hears of a run made for it (ingest_event_respond's outcome)."""
    if outcome.get("status") is None:  # not run for this sender: it ran, or runs, apart
        return _unavailable()
    if outcome["status"] != "succeeded":
        metrics.webhook_answered("failed")
        return Answer.json(500, FAILED)
    response = outcome.get("response")
    if response is None:
        metrics.webhook_answered("usual")
        return Answer.json(200, {"id": event.pk})
    metrics.webhook_answered("function")
    return function_answer(response)


# Statuses HTTP sends without a body, whatever the function gave.
BODILESS = frozenset({204, 304})


def function_answer(response: dict) -> Answer:
    """A function's response as the sender gets it (a generic 500 for one that is not
    within runner.response's limits: only a damaged result can be)."""
    try:
        response = checked_response(response)
    except ValueError:
        logger.error("a function's response for its sender was not within its limits")
        return Answer.json(500, FAILED)
    headers = {"Content-Type": DEFAULT_CONTENT_TYPE}
    for name, value in response["headers"].items():
        headers["Content-Type" if name == "content-type" else name] = value
    headers.update(GUARD_HEADERS)
    status = response["status"]
    body = b"" if status in BODILESS else response["body"].encode("utf-8", "replace")
    return Answer(status, body, headers)


def _unavailable() -> Answer:
    metrics.webhook_answered("unavailable")
    return Answer.json(503, UNAVAILABLE, {"Retry-After": "5"})


def _release(accepted: Accepted) -> None:
    """The sender stopped waiting: the event is due now, for the next turn of its
    workspace (unless the run made for the sender takes it first). Best effort: it is
    due by itself a moment later, and the sweep finds it."""
    event = accepted.event
    try:
        IngestEvent.objects.filter(pk=event.pk, status=IngestEvent.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
        queue.execute_soon(accepted.target.workspace_id)
    except Exception:  # the database or the broker: both are caught up with later
        logger.warning("ingest event %s: not queued again after its sender's wait", event.pk)
