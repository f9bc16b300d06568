"""The webhook endpoint: translate HTTP to `webhook_accept` and back."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from functions_ide import metrics
from ingest import catcher, services

logger = logging.getLogger(__name__)

# Hop-by-hop and proxy bookkeeping headers say nothing about the webhook.
_DROPPED_HEADERS = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"}


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def incoming_webhook(request: HttpRequest) -> services.IncomingWebhook:
    headers = {
        name: value
        for name, value in request.headers.items()
        if name.lower() not in _DROPPED_HEADERS
    }
    return services.IncomingWebhook(
        method=request.method,
        path=request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        headers=headers,
        body=request.body,
    )


@csrf_exempt
def receive_webhook(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        metrics.webhook_refused("method_not_allowed")
        return _error(405, "Webhooks are delivered with POST.", Allow="POST")
    try:
        services.check_payload_size(int(request.META.get("CONTENT_LENGTH") or 0))
        event = services.webhook_accept(token=token, webhook=incoming_webhook(request))
    except services.WebhookRefused as refused:
        metrics.webhook_refused(metrics.reason_for_status(refused.status))
        extra = {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}
        return _error(refused.status, str(refused), **extra)
    except DatabaseError:
        metrics.webhook_refused("unavailable")
        logger.exception("webhook not accepted: the database is unavailable")
        return _error(503, "Temporarily unavailable; please retry.", **{"Retry-After": "5"})
    metrics.webhook_accepted()
    return JsonResponse({"id": event.pk})


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
