"""The one place ingest talks to the runner: a warm isolate pool per worker process,
created lazily so V8 starts in the process that runs code (never in a Celery parent
that forks afterwards). Each version runs with its own time limit, each source with its
own cache (ingest/execute/cache.py), and fetch refuses the product's own webhook URLs."""

import dataclasses
import logging
import threading

from django.conf import settings

import runner
from ingest import metrics
from ingest.execute.cache import function_cache
from ingest.models import IngestEvent

logger = logging.getLogger(__name__)
# What an attempt produced: the runner's result, or one made here for failures of ours.
Outcome = runner.Result

_pool = None
_pool_lock = threading.Lock()


def pool():
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = runner.IsolatePool(
                limits=settings.RUNNER_LIMITS,
                max_isolates=settings.RUNNER_POOL_MAX_ISOLATES,
                allow_private_network=settings.RUNNER_ALLOW_PRIVATE_NETWORK,
                own_webhook_urls=own_webhook_urls(),
            )
        return _pool


def own_webhook_urls() -> list[str]:
    """Where the product receives webhooks (sources' and catchers'): fetch refuses them."""
    return [f"{settings.PUBLIC_URL}/hooks/"]


def limits_of(version) -> runner.Limits:
    """The limits a version runs with: the deployment's, with the version's time limit."""
    return dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=version.time_limit)


def warm_isolates() -> int:
    """The warm isolates this process keeps (0 before it ran a function)."""
    with _pool_lock:
        return _pool.idle_count() if _pool is not None else 0


metrics.count_warm_isolates_with(warm_isolates)


def request_of(event: IngestEvent) -> dict:
    """The ingest event as a request for the runner (normalised), the body as the bytes
    that arrived: the runner counts them once and reads text as Node would."""
    request = {
        "method": event.method,
        "url": event.public_url,
        "headers": event.headers,
        "rawBody": bytes(event.raw_body),
    }
    return runner.normalize_request(request, max_bytes=settings.RUNNER_LIMITS.request_bytes)


def execute(*, version, invocations: list[runner.Invocation]) -> list[Outcome]:
    """Run ingest events of one version together, in as few V8 calls as possible."""
    return pool().run_batch(
        f"version-{version.pk}",
        version.code,
        invocations,
        legacy=version.is_legacy,
        limits=limits_of(version),
        cache=function_cache(),
    )


def invocation_failure(event: IngestEvent, exc: Exception) -> Outcome:
    """The outcome of an event whose invocation could not be built: its request does
    not fit the runner (the sender's, not retried), or its source's settings could not
    be read (ours, retried)."""
    if isinstance(exc, runner.RequestFormatError):
        return Outcome(error={"name": "RequestFormatError", "message": str(exc), "stack": ""})
    logger.exception("ingest event %s could not be prepared for its run", event.pk)
    return infrastructure_failure(exc)


def infrastructure_failure(exc: Exception) -> Outcome:
    """An error of ours, not of the function: retried like a lost worker."""
    return Outcome(
        error={
            "name": "InfrastructureError",
            # Only the class: the text of an error of ours may hold what users must not see.
            "message": f"The platform failed to run this attempt ({type(exc).__name__}); "
            "it will be retried.",
            "stack": "",
        },
        duration_ms=0.0,
    )


def worker_lost() -> Outcome:
    """The outcome of an attempt whose worker stopped before it could record one."""
    return Outcome(
        error={
            "name": "WorkerLostError",
            "message": "The worker running this event stopped before it finished "
            "(it was restarted, or the function exhausted its memory).",
            "stack": "",
        }
    )
