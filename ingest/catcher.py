"""The webhook catcher: a function's test URL whose requests are stored as captures
(never executed) and pushed at once to the editors watching the function.

Services (writes), selectors (reads) and the one capture format shared by the API and
the websocket live here; docs/live.md describes the format.
"""

import json
import logging
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from catalog import policy
from catalog.masking import mask_headers, shorten_tokens
from catalog.models import Function
from catalog.services.audit import audit_record
from ingest.models import Capture, Catcher
from ingest.receive import (
    IncomingWebhook,
    WebhookRefused,
    check_payload_size,
    is_token_shaped,
)
from runner import body_text

logger = logging.getLogger(__name__)

# Lists (on connect, GET .../captures/) leave out bodies above this size, so 50
# captures of 2 MB never become one 100 MB message; one capture is always whole.
LIST_BODY_LIMIT = 256 * 1024


class CatcherNotFound(WebhookRefused):
    status = 404


def catcher_group(function_id: int) -> str:
    return f"catcher-{function_id}"


def new_catcher_token() -> str:
    return secrets.token_urlsafe(32)


def catcher_url(catcher: Catcher) -> str:
    return f"{settings.PUBLIC_URL}/hooks/test/{catcher.token}"


# --- services ---------------------------------------------------------------------


def catcher_for_function(*, function: Function) -> Catcher:
    """The function's catcher, created on first use."""
    # get_or_create absorbs a concurrent creation: both callers get the same row.
    catcher, _ = Catcher.objects.get_or_create(
        function=function, defaults={"token": new_catcher_token()}
    )
    return catcher


def _ensure_tester(actor, function: Function) -> None:
    membership = policy.membership_of(actor, function.workspace)
    policy.require(membership, policy.Action.CHANGE_TEST_WEBHOOK)


@transaction.atomic
def catcher_rotate(*, function: Function, actor) -> Catcher:
    """A new test URL for the function; the old one stops catching at once."""
    _ensure_tester(actor, function)
    catcher = catcher_for_function(function=function)
    catcher.token = new_catcher_token()
    catcher.created_at = timezone.now()
    catcher.save(update_fields=["token", "created_at"])
    audit_record(
        workspace=function.workspace, actor=actor, action="catcher.rotate_token", target=function
    )
    return catcher


def capture_store(*, token: str, webhook: IncomingWebhook) -> Capture:
    """Store a request caught at a test URL, keep the newest Capture.KEEP of the
    function, and push it to the function's editors once committed.

    Raises PayloadTooLarge (413) and CatcherNotFound (404); nothing is executed."""
    check_payload_size(len(webhook.body))
    catcher = (
        Catcher.objects.filter(token=token).only("function_id").first()
        if is_token_shaped(token)
        else None
    )
    if catcher is None:
        raise CatcherNotFound("No function catches requests at this URL.")
    with transaction.atomic():
        capture = Capture.objects.create(function_id=catcher.function_id, **webhook.row())
        _trim(catcher.function_id)
        transaction.on_commit(lambda: publish_capture(capture), robust=True)
    return capture


def _trim(function_id: int) -> None:
    older = list(captures_of(function_id).values_list("pk", flat=True)[Capture.KEEP :])
    if older:
        Capture.objects.filter(pk__in=older).delete()


def capture_delete(*, capture: Capture, actor) -> None:
    _ensure_tester(actor, capture.function)
    capture.delete()


def publish_capture(capture: Capture) -> None:
    """Best effort, like the live debugger: a missed push is still in the list.

    The capture goes through the layer as JSON text, serialized once for every
    listener and safe from what msgpack cannot carry (integers past 64 bits): whole for
    owners, masked for everyone else (each listener picks its own)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        payload = capture_payload(capture)
        message = {
            "type": "capture.new",
            "capture": json.dumps(payload),
            "masked": json.dumps(masked_capture(payload)),
        }
        async_to_sync(layer.group_send)(catcher_group(capture.function_id), message)
    except Exception:
        logger.warning("could not push capture %s to the catcher's editors", capture.pk)


# --- selectors ----------------------------------------------------------------------


def captures_of(function_id: int) -> QuerySet[Capture]:
    return Capture.objects.filter(function_id=function_id).order_by("-received_at", "-pk")


def recent_captures(function_id: int) -> list[Capture]:
    """The kept captures, newest first; bodies over LIST_BODY_LIMIT are not loaded
    (such a capture has raw_body None and is shown truncated)."""
    captures = list(
        captures_of(function_id).defer("raw_body").annotate(size=Length("raw_body"))[: Capture.KEEP]
    )
    small = [c.pk for c in captures if c.size <= LIST_BODY_LIMIT]
    bodies = dict(Capture.objects.filter(pk__in=small).values_list("pk", "raw_body"))
    for capture in captures:
        capture.raw_body = bodies.get(capture.pk)
    return captures


def capture_for_function(function: Function, capture_id) -> Capture | None:
    return (
        captures_of(function.pk).select_related("function__workspace").filter(pk=capture_id).first()
    )


# --- the capture format -----------------------------------------------------------------


def capture_payload(capture: Capture) -> dict:
    """A capture as the editor and the API show it, with `request` ready to be a Run's
    input. A capture loaded by recent_captures without its body is `truncated`."""
    url = capture.public_url
    payload = {
        "id": capture.pk,
        "received_at": capture.received_at.isoformat(),
        "method": capture.method,
        "url": url,
        "path": capture.path,
        "query_string": capture.query_string,
        "headers": capture.headers,
        "content_type": _header(capture.headers, "content-type"),
    }
    if capture.raw_body is None:
        return {**payload, "size": capture.size, "truncated": True}
    raw = bytes(capture.raw_body)
    text = body_text(raw)
    payload.update(size=len(raw), truncated=False, body=text)
    request = {"method": capture.method, "url": url, "headers": capture.headers}
    parsed = _json(text)
    if parsed is _NOT_JSON:
        request["rawBody"] = text
    else:
        payload["json"] = parsed
        request["body"] = parsed
    payload["request"] = request
    return payload


def masked_capture(payload: dict) -> dict:
    """A capture as members and source admins see it (catalog.policy.can_see_credentials):
    credential headers masked, the test URL's token shortened. Also in its `request`,
    so a Run from it never carries the sender's credentials."""
    masked = {
        **payload,
        "headers": mask_headers(payload["headers"]),
        "path": shorten_tokens(payload["path"]),
        "url": shorten_tokens(payload["url"]),
    }
    if "request" in payload:
        request = payload["request"]
        masked["request"] = {
            **request,
            "headers": mask_headers(request["headers"]),
            "url": shorten_tokens(request["url"]),
        }
    return masked


_NOT_JSON = object()


def _header(headers: dict, name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def _json(text: str):
    def refuse(constant):  # NaN and Infinity parse in Python but are not JSON
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:
        return _NOT_JSON
