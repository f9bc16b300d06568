"""The webhook endpoint: translate HTTP to `webhook_accept` and back."""

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from catalog.models import WEBHOOK_METHODS, methods_in_words
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
def receive_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """Any method: which ones a source accepts is its function's (the service says)."""
    try:
        services.check_payload_size(int(request.META.get("CONTENT_LENGTH") or 0))
    except services.WebhookRefused as refused:
        metrics.webhook_refused("too_large")
        return _error(refused.status, str(refused))
    answer = receive.answer_webhook(token, incoming_webhook(request))
    headers = {name: value for name, value in answer.headers.items() if name != "Content-Type"}
    return HttpResponse(
        answer.body,
        status=answer.status,
        content_type=answer.headers.get("Content-Type"),
        headers=headers,
    )


@csrf_exempt
def receive_capture(request: HttpRequest, token: str) -> JsonResponse:
    """A function's test URL: the request is captured for the editor, never executed.
    It takes every method a function may accept, whatever the function declares."""
    if request.method not in WEBHOOK_METHODS:
        words = methods_in_words(WEBHOOK_METHODS)
        message = f"This test URL accepts {words}, not {request.method}."
        return _error(405, message, Allow=", ".join(WEBHOOK_METHODS))
    try:
        services.check_payload_size(int(request.META.get("CONTENT_LENGTH") or 0))
        capture = catcher.capture_store(token=token, webhook=incoming_webhook(request))
    except services.WebhookRefused as refused:
        return _error(refused.status, str(refused))
    except DatabaseError:
        logger.exception("test webhook not captured: the database is unavailable")
        return _error(503, "Temporarily unavailable; please retry.", **{"Retry-After": "5"})
    return JsonResponse({"id": capture.pk})
