"""Celery tasks of the catalog: the editor's test runs, on the `interactive` queue.

A Run takes a thread of its workspace's share of the worker, as every run of the
workspace's code does (ingest.execute.sharing, handed in by ingest when it is ready:
the catalog cannot import ingest): one workspace's slow Runs cannot hold every thread
that the webhooks of others wait for. A Run past the share goes back to the queue for a
moment (task_results.run_again_soon) and runs once the share allows, if its caller
still waits."""

import base64
import contextlib
import dataclasses
import json
import time

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_cryptography.utils.crypto import FernetBytes

from catalog.run_policy import own_webhook_urls
from catalog.task_results import answered, run_again_soon

# What a Run that may not start yet (its workspace's share) gives answered().
_BUSY = object()
# The shares of this process's threads (an object with enter(workspace_id), None when
# the workspace is at its share, and leave(workspace_id)); None: nothing is shared.
_shares = None


def share_threads_with(shares) -> None:
    """Runs take their workspace's share of these (ingest.apps hands in its shares)."""
    global _shares
    _shares = shares


@contextlib.contextmanager
def _workspace_share(workspace_id: int | None):
    """Yields whether the run may go on: a thread of the workspace's share is taken for
    it until the block ends. Always for a task sent without a workspace."""
    shares = _shares
    if shares is None or workspace_id is None:
        yield True
        return
    if shares.enter(workspace_id) is None:
        yield False
        return
    try:
        yield True
    finally:
        shares.leave(workspace_id)


# A sealed setting bundle older than this is refused (it was queued for a run whose
# caller gave up long ago).
SEALED_TTL_S = 300


def seal(values: dict) -> str:
    """Encrypt setting values for the broker: secrets never sit in Redis in plaintext."""
    return base64.b64encode(FernetBytes().encrypt(json.dumps(values))).decode("ascii")


def unseal(sealed: str) -> dict:
    return json.loads(FernetBytes().decrypt(base64.b64decode(sealed), SEALED_TTL_S))


@shared_task(name="catalog.run_function_test", acks_late=False, bind=True)
def run_function_test(
    self,
    code: str,
    request: dict,
    sealed_settings: str,
    legacy: bool,
    timeout_ms: int,
    secret_names: list[str] | None = None,
    *,
    workspace_id: int | None = None,
    answer_by: float | None = None,
) -> dict:
    """Run code once in the sandbox and return the runner's result (Result.to_dict()),
    within the workspace's share of this worker's threads (`workspace_id`). Nothing is
    run or stored once the caller stopped waiting (`answer_by`, task_results).

    Unlike other tasks this one takes the code itself, not an id: the editor runs
    unsaved drafts, so there is nothing in the database to read. Not acknowledged
    late: a test run whose worker died is not worth running again. The values of the
    settings named in `secret_names` (the encrypted ones) are redacted from the result.
    Like a source's run, it may not fetch the product's own webhook URLs (a test would
    feed real sources); its cache starts empty, as on Segment.
    """
    import runner

    def run():
        with _workspace_share(workspace_id) as admitted:
            if not admitted:
                return _BUSY
            result = runner.run(
                code,
                request,
                unseal(sealed_settings),
                legacy=legacy,
                limits=_limits(timeout_ms),
                secret_names=secret_names or (),
                own_webhook_urls=own_webhook_urls(),
            )
            return result.to_dict()

    return _admitted(self, answered(answer_by, run))


@shared_task(name="catalog.run_saved_tests", acks_late=False, bind=True)
def run_saved_tests(
    self,
    code: str,
    cases: list,
    legacy: bool,
    timeout_ms: int,
    secret_names: list[str],
    *,
    workspace_id: int | None = None,
    answer_by: float | None = None,
    budget_s: float | None = None,
) -> list[dict | None]:
    """Run code on each case, [normalised request, sealed settings], each in a fresh
    isolate as run_function_test does; the results in the cases' order (the share and
    the caller's wait as for run_function_test). Every bundle is unsealed first: the last
    case may start long after the run was queued. No case starts once `budget_s`
    (SAVED_TESTS_BUDGET_S) have passed since the first did: its result is None."""
    import runner

    def run():
        with _workspace_share(workspace_id) as admitted:
            if not admitted:
                return _BUSY
            unsealed = [(request, unseal(sealed)) for request, sealed in cases]
            limits = _limits(timeout_ms)
            own_webhooks = own_webhook_urls()
            deadline = time.monotonic() + (budget_s or settings.SAVED_TESTS_BUDGET_S)
            results: list[dict | None] = []
            for request, values in unsealed:
                if time.monotonic() >= deadline:
                    results.append(None)
                    continue
                result = runner.run(
                    code,
                    request,
                    values,
                    legacy=legacy,
                    limits=limits,
                    secret_names=secret_names,
                    own_webhook_urls=own_webhooks,
                )
                results.append(result.to_dict())
            return results

    return _admitted(self, answered(answer_by, run))


def _admitted(task, result):
    if result is _BUSY:
        run_again_soon(task)
    return result


def _limits(timeout_ms: int):
    """The configured limits, with the time limit the caller waits for."""
    if settings.RUNNER_LIMITS is None:
        raise ImproperlyConfigured("a runner limit is out of range: see `manage.py check`")
    return dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=timeout_ms)
