"""The webhook endpoint: translate HTTP to `webhook_accept` and back."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from functions_ide import metrics
from ingest import catcher, services

logger = logging.getLogger(__name__)


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def incoming_webhook(request: HttpRequest) -> services.IncomingWebhook:
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in services.DROPPED_HEADERS
    }
    return services.IncomingWebhook(
        method=request.method,
        path=request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        headers=headers,
        body=request.body,
    )


def answer_webhook(token: str, webhook: services.IncomingWebhook) -> tuple[int, dict, dict]:
    """What the sender of a webhook hears: (status, JSON body, headers). Shared by this
    view and the ASGI fast path of ingest/asgi.py."""
    try:
        event = services.webhook_accept(token=token, webhook=webhook)
    except services.WebhookRefused as refused:
        metrics.webhook_refused(metrics.reason_for_status(refused.status))
        extra = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
        return refused.status, {"error": str(refused)}, extra
    except DatabaseError:
        metrics.webhook_refused("unavailable")
        logger.exception("webhook not accepted: the database is unavailable")
        return 503, {"error": "Temporarily unavailable; please retry."}, {"Retry-After": "5"}
    metrics.webhook_accepted()
    return 200, {"id": event.pk}, {}


@csrf_exempt
def receive_webhook(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        metrics.webhook_refused("method_not_allowed")
        return _error(405, "Webhooks are delivered with POST.", Allow="POST")
    try:
        services.check_payload_size(int(request.META.get("CONTENT_LENGTH") or 0))
    except services.WebhookRefused as refused:
        metrics.webhook_refused("too_large")
        return _error(refused.status, str(refused))
    status, body, headers = answer_webhook(token, incoming_webhook(request))
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def receive_capture(request: HttpRequest, token: str) -> JsonResponse:
    """A function's test URL: the request is captured for the editor, never executed."""
    if request.method != "POST":
        return _error(405, "Test webhooks are delivered with POST.", Allow="POST")
    try:
        services.check_payload_size(int(request.META.get("CONTENT_LENGTH") or 0))
        capture = catcher.capture_store(token=token, webhook=incoming_webhook(request))
    except services.WebhookRefused as refused:
        return _error(refused.status, str(refused))
    except DatabaseError:
        logger.exception("test webhook not captured: the database is unavailable")
        return _error(503, "Temporarily unavailable; please retry.", **{"Retry-After": "5"})
    return JsonResponse({"id": capture.pk})
