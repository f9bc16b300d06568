"""The webhook endpoint: translate HTTP to `webhook_accept` and back."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ingest import catcher, metrics, receive, services

logger = logging.getLogger(__name__)


def _error(status: int, message: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def incoming_webhook(request: HttpRequest) -> services.IncomingWebhook:
    return services.IncomingWebhook.from_raw_headers(
        method=request.method,
        path=request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        headers=request.headers.items(),
        body=request.body,
    )


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
    status, body, headers = receive.answer_webhook(token, incoming_webhook(request))
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
