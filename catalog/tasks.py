"""Celery tasks of the catalog: the editor's test runs, on the `interactive` queue."""

import base64
import dataclasses
import json
import time

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_cryptography.utils.crypto import FernetBytes

from catalog.run_policy import own_webhook_urls

# A sealed setting bundle older than this is refused (it was queued for a run whose
# caller gave up long ago).
SEALED_TTL_S = 300


def seal(values: dict) -> str:
    """Encrypt setting values for the broker: secrets never sit in Redis in plaintext."""
    return base64.b64encode(FernetBytes().encrypt(json.dumps(values))).decode("ascii")


def unseal(sealed: str) -> dict:
    return json.loads(FernetBytes().decrypt(base64.b64decode(sealed), SEALED_TTL_S))


@shared_task(name="catalog.run_function_test", acks_late=False)
def run_function_test(
    code: str,
    request: dict,
    sealed_settings: str,
    legacy: bool,
    timeout_ms: int,
    secret_names: list[str] | None = None,
) -> dict:
    """Run code once in the sandbox and return the runner's result (Result.to_dict()).

    Unlike other tasks this one takes the code itself, not an id: the editor runs
    unsaved drafts, so there is nothing in the database to read. Not acknowledged
    late: a test run whose worker died is not worth running again. The values of the
    settings named in `secret_names` (the encrypted ones) are redacted from the result.
    Like a source's run, it may not fetch the product's own webhook URLs (a test would
    feed real sources); its cache starts empty, as on Segment.
    """
    import runner

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


@shared_task(name="catalog.run_saved_tests", acks_late=False)
def run_saved_tests(
    code: str,
    cases: list,
    legacy: bool,
    timeout_ms: int,
    secret_names: list[str],
    budget_s: float | None = None,
) -> list[dict | None]:
    """Run code on each case, [normalised request, sealed settings], each in a fresh
    isolate as run_function_test does; the results in the cases' order. Every bundle
    is unsealed first: the last case may start long after the run was queued. No case
    starts once `budget_s` (SAVED_TESTS_BUDGET_S) have passed: its result is None."""
    import runner

    unsealed = [(request, unseal(sealed)) for request, sealed in cases]
    limits = _limits(timeout_ms)
    own_webhooks = own_webhook_urls()
    deadline = time.monotonic() + (budget_s or settings.SAVED_TESTS_BUDGET_S)
    results: list[dict | None] = []
    for request, values in unsealed:
        if time.monotonic() >= deadline:
            results.append(None)
            continue
        result = runner.run(code, request, values, legacy=legacy, limits=limits,
                            secret_names=secret_names, own_webhook_urls=own_webhooks)  # fmt: skip
        results.append(result.to_dict())
    return results


def _limits(timeout_ms: int):
    """The configured limits, with the time limit the caller waits for."""
    if settings.RUNNER_LIMITS is None:
        raise ImproperlyConfigured("a runner limit is out of range: see `manage.py check`")
    return dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=timeout_ms)
