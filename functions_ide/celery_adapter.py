"""Every use of Celery's internals, in one place, each with its reason and its check.

Celery has no public way to do the things below, so each leans on code Celery may
change in any release. `problems()` checks that the installed Celery still has that code
as it was when the adaptations were written (CHECKED_WITH); a worker refuses to start
while one fails (functions_ide/celery.py), and tests/foundation/test_celery_adapter.py
runs the same check, so an upgrade cannot silently undo them. After an upgrade: read the
new code of each internal named below, keep or drop the adaptation, then update
CHECKED_WITH and FINGERPRINTS (`make celery-adapter-report` prints both).
"""

import hashlib
import inspect
import logging

import celery
import celery.result
import kombu
from celery import _state
from celery.worker.consumer.consumer import Consumer
from kombu.message import Message

# The versions the adaptations were read against; pyproject.toml pins exactly these.
CHECKED_WITH = {"celery": "5.7.0", "kombu": "5.7.0"}


class CeleryIncompatible(RuntimeError):
    """The installed Celery is not the one this module's adaptations were checked with."""


# --- 1. a web process that hosts a worker may still wait for results ----------------


def allow_result_waits_in_this_process() -> None:
    """Let this process wait for a task's result although a worker pool runs in it.

    Starting a pool marks the whole process as "inside a task" (celery.worker.components
    sets celery._state._task_join_will_block), after which AsyncResult.get() raises
    "Never call result.get() within a task!". The embedded worker shares its process with
    the web server, whose editor Run waits for its test run (catalog/services/test_runs.py):
    the flag is put back once the pool has started.
    """
    _state._set_task_join_will_block(False)


# --- 2. a worker survives the broker's restart ----------------------------------------


def survive_connection_close(consumer_class=Consumer, message_class=Message) -> None:
    """After losing the broker, Celery 5.7 closes the lost connection before it
    reconnects, and with Redis the close itself can fail (AttributeError: the channel's
    pool is already gone), which stops the worker for good. The consumer has let go of
    that connection by then, so it reconnects as usual once the failure is ignored.

    A task that ends while the connection is lost fails its acknowledgement the same way
    (kombu catches only the transport's errors there), and that too stopped the worker.
    Unacknowledged, the message is delivered again once its visibility timeout passes;
    the tasks are idempotent (a finished event is left alone), so nothing runs twice."""
    _ignore_attribute_errors(
        consumer_class, "on_connection_error_after_connected",
        "the lost broker connection did not close cleanly",
    )  # fmt: skip
    _ignore_attribute_errors(
        message_class, "ack_log_error",
        "a task's message was not acknowledged (the broker connection is lost); "
        "it is delivered again later",
    )  # fmt: skip


def _ignore_attribute_errors(owner, name: str, warning: str) -> None:
    original = getattr(owner, name)
    if getattr(original, "__wrapped__", None) is not None:
        return  # already adapted

    def adapted(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except AttributeError:
            logging.getLogger(__name__).warning(warning)

    adapted.__wrapped__ = original
    setattr(owner, name, adapted)


# --- the check -------------------------------------------------------------------------


def _internals() -> dict:
    """The Celery code each adaptation relies on, by the name its fingerprint is kept."""
    lost = Consumer.on_connection_error_after_connected
    ack = Message.ack_log_error
    return {
        "celery._state._set_task_join_will_block": _state._set_task_join_will_block,
        "celery._state.task_join_will_block": _state.task_join_will_block,
        "celery.result.assert_will_not_block": celery.result.assert_will_not_block,
        "Consumer.on_connection_error_after_connected": getattr(lost, "__wrapped__", lost),
        "kombu Message.ack_log_error": getattr(ack, "__wrapped__", ack),
    }


# sha256 of each internal's source (first 16 hex digits), as read with CHECKED_WITH.
FINGERPRINTS = {
    "celery._state._set_task_join_will_block": "439360874db6f136",
    "celery._state.task_join_will_block": "860985b64f174172",
    "celery.result.assert_will_not_block": "2854d3edfc0ca743",
    "Consumer.on_connection_error_after_connected": "4f84dbfff329d28f",
    "kombu Message.ack_log_error": "92c852ddae294815",
}


def fingerprint(code) -> str:
    return hashlib.sha256(inspect.getsource(code).encode()).hexdigest()[:16]


def problems() -> list[str]:
    """What no longer holds, one sentence each; empty when every adaptation still fits."""
    found = [
        f"{name} {installed} is installed, but functions_ide/celery_adapter.py was checked "
        f"with {name} {CHECKED_WITH[name]}: re-read the internals it names, then update "
        "CHECKED_WITH."
        for name, installed in (("celery", celery.__version__), ("kombu", kombu.__version__))
        if installed != CHECKED_WITH[name]
    ]
    found += _internal_problems()
    adapted = (Consumer.on_connection_error_after_connected, Message.ack_log_error)
    if any(getattr(method, "__wrapped__", None) is None for method in adapted):
        found.append(
            "The worker's Consumer is not adapted: import functions_ide.celery (which calls "
            "survive_connection_close) before starting a worker."
        )
    return found


def _internal_problems() -> list[str]:
    found = []
    try:
        internals = _internals()
    except AttributeError as exc:
        return [f"A Celery internal this module relies on is gone: {exc}."]
    for name, code in internals.items():
        try:
            now = fingerprint(code)
        except (OSError, TypeError):
            found.append(f"The source of {name} cannot be read to check it.")
            continue
        if now != FINGERPRINTS[name]:
            found.append(
                f"{name} changed since it was checked (fingerprint {now}, expected "
                f"{FINGERPRINTS[name]}): re-read it and the adaptation that relies on it."
            )
    if getattr(celery.result, "task_join_will_block", None) is not _state.task_join_will_block:
        found.append(
            "celery.result no longer reads celery._state.task_join_will_block: "
            "allow_result_waits_in_this_process() would not let the web process wait."
        )
    return found


def ensure_compatible() -> None:
    """Raise CeleryIncompatible, naming every reason, unless all adaptations still fit."""
    found = problems()
    if found:
        raise CeleryIncompatible(
            "The installed Celery does not match functions_ide/celery_adapter.py:\n- "
            + "\n- ".join(found)
        )


def report() -> None:
    """Print what CHECKED_WITH and FINGERPRINTS would be for the installed Celery."""
    print(f"CHECKED_WITH = {{'celery': {celery.__version__!r}, 'kombu': {kombu.__version__!r}}}")
    for name, code in _internals().items():
        print(f"    {name!r}: {fingerprint(code)!r},")
    for problem in problems():
        print(f"problem: {problem}")
