"""Operations endpoints: `/healthz` for load balancers and `/metrics` for Prometheus.

Both are outside the product's auth: health says only whether each dependency answers
(never why in detail, which could name internal hosts); metrics may be protected with
a bearer token (METRICS_TOKEN).
"""

import asyncio
import hmac
import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from functions_ide import metrics as product_metrics

# The classic text format, which every Prometheus version reads (generate_latest writes it).
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A dependency slower than this is as good as down for a load balancer.
CHECK_TIMEOUT_S = 2.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    from functions_ide.celery import app

    with app.connection_for_write(connect_timeout=CHECK_TIMEOUT_S) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=CHECK_TIMEOUT_S)


def check_channel_layer() -> None:
    """A message sent to a fresh channel of the layer comes back."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")

    async def round_trip() -> None:
        channel = await layer.new_channel(prefix="healthz")
        probe = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz.probe", "probe": probe})
        message = await layer.receive(channel)
        if message.get("probe") != probe:
            raise RuntimeError("the channel layer returned another message")

    async def bounded() -> None:
        await asyncio.wait_for(round_trip(), CHECK_TIMEOUT_S)

    async_to_sync(bounded)()


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "channel_layer": check_channel_layer,
}


def run_check(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # any failure is "down"; the class name is enough to act on
        outcome = {"status": "error", "error": type(exc).__name__}
    else:
        outcome = {"status": "ok"}
    outcome["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return outcome


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the broker and the channel layer all answer, else 503."""
    checks = {name: run_check(check) for name, check in CHECKS.items()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    expected = getattr(settings, "METRICS_TOKEN", "")
    if expected and not _bearer_is(request, expected):
        response = JsonResponse({"detail": "A valid metrics bearer token is required."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(product_metrics.exposition(), content_type=METRICS_CONTENT_TYPE)


def _bearer_is(request: HttpRequest, expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())
