"""The webhook catcher: a function's test URL whose requests are stored as captures
(never executed) and pushed at once to the editors watching the function.

A function not created yet (the editor of a new function, before Configure) gets a
scratch catcher: its creator's own, for SCRATCH_LIFETIME, which becomes the function's
catcher, captures and URL included, when the function is created (catcher_adopt), or is
discarded (scratch_catcher_discard; an expired one is deleted).

Services (writes), selectors (reads) and the one capture format shared by the API and
the websocket live here; docs/live.md describes the format.
"""

import json
import logging
import secrets
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.http import Http404
from django.utils import timezone

from catalog import policy
from catalog.errors import CatalogError
from catalog.masking import (
    mask_headers,
    mask_query_string,
    mask_request,
    mask_url,
    shorten_tokens,
)
from catalog.models import Function, Workspace
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

# Lists (on connect, GET .../captures/) leave out bodies above this size, and any body
# past LIST_BODIES_LIMIT of them in all (newest first), so 50 captures never become one
# huge message (each body shows three times: body, json, request; 50 of 256 KB made a
# 39 MB list, sent to every editor that opened the function); one capture is always whole.
LIST_BODY_LIMIT = 256 * 1024
LIST_BODIES_LIMIT = 1024 * 1024


# How long a scratch catcher catches, and how many one user keeps per workspace (an
# editor tab each; the oldest goes first).
SCRATCH_LIFETIME = timedelta(hours=24)
MAX_SCRATCH_PER_USER = 5


class CatcherNotFound(WebhookRefused):
    status = 404


class CatcherTaken(CatalogError):
    status_code = 409


class ScratchCatcherGone(CatalogError):
    status_code = 404


def catcher_group(function_id: int) -> str:
    return f"catcher-{function_id}"


def scratch_group(catcher_id: int) -> str:
    return f"catcher-scratch-{catcher_id}"


def group_of(catcher: Catcher) -> str:
    """The channel group of the editors listening to this catcher."""
    if catcher.function_id is None:
        return scratch_group(catcher.pk)
    return catcher_group(catcher.function_id)


def new_catcher_token() -> str:
    return secrets.token_urlsafe(32)


def catcher_url(catcher: Catcher) -> str:
    return f"{settings.PUBLIC_URL}/hooks/test/{catcher.token}"


# --- services ---------------------------------------------------------------------


def catcher_for_function(*, function: Function) -> Catcher:
    """The function's catcher, created on first use."""
    # get_or_create absorbs a concurrent creation: both callers get the same row.
    catcher, _ = Catcher.objects.get_or_create(
        function=function,
        defaults={"token": new_catcher_token(), "workspace_id": function.workspace_id},
    )
    return catcher


def _ensure_creator(actor, workspace: Workspace) -> None:
    """A scratch catcher is for who may create the function it is for."""
    policy.require(policy.membership_of(actor, workspace), policy.Action.EDIT_FUNCTIONS)


@transaction.atomic
def scratch_catcher_create(*, workspace: Workspace, actor) -> Catcher:
    """A test URL for a function not created yet: the actor's own, in this workspace,
    until SCRATCH_LIFETIME has passed. Expired scratch catchers go first, and the
    actor's oldest beyond MAX_SCRATCH_PER_USER - 1."""
    _ensure_creator(actor, workspace)
    now = timezone.now()
    Catcher.objects.filter(function=None, expires_at__lte=now).delete()
    kept = Catcher.objects.filter(workspace=workspace, created_by=actor, function=None)
    older = list(kept.order_by("-created_at", "-pk").values_list("pk", flat=True))
    Catcher.objects.filter(pk__in=older[MAX_SCRATCH_PER_USER - 1 :]).delete()
    return Catcher.objects.create(
        workspace=workspace,
        created_by=actor,
        token=new_catcher_token(),
        created_at=now,
        expires_at=now + SCRATCH_LIFETIME,
    )


def scratch_catcher_discard(*, catcher: Catcher, actor) -> None:
    """The scratch catcher and its captures go; its URL answers 404 at once."""
    _ensure_creator(actor, catcher.workspace)
    catcher.delete()


@transaction.atomic
def catcher_adopt(*, function: Function, actor, catcher: Catcher) -> Catcher:
    """The actor's scratch catcher becomes the function's test URL, with its captures:
    what was sent to it while the function was written stays usable. For a function
    that has no test URL yet (Configure adopts it right after creating the function)."""
    _ensure_creator(actor, function.workspace)
    locked = Catcher.objects.select_for_update().filter(pk=catcher.pk).first()
    if locked is None or not _is_scratch_of(locked, actor, function.workspace):
        raise ScratchCatcherGone("This scratch test URL has expired or is not yours.")
    if Catcher.objects.filter(function=function).exists():
        raise CatcherTaken(
            "This function has a test URL already: a scratch one can only become the test "
            "URL of a function that has none."
        )
    locked.function, locked.expires_at = function, None
    locked.save(update_fields=["function", "expires_at"])
    Capture.objects.filter(catcher=locked).update(function=function)
    _trim(Capture.objects.filter(function=function))
    audit_record(workspace=function.workspace, actor=actor, action="catcher.adopt", target=function)
    group = scratch_group(locked.pk)
    transaction.on_commit(lambda: _announce_adoption(group, function.pk), robust=True)
    return locked


def _announce_adoption(group: str, function_id: int) -> None:
    """Best effort: the scratch URL's listeners close (its re-check would close them
    too); the function's websocket pushes what it catches from now on."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "catcher.adopted", "function": function_id})
    except Exception:
        logger.warning("could not tell %s's listeners of its adoption", group)


def _is_scratch_of(catcher: Catcher, user, workspace: Workspace) -> bool:
    return (
        catcher.function_id is None
        and catcher.created_by_id == user.pk
        and catcher.workspace_id == workspace.pk
        and catcher.expires_at > timezone.now()
    )


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
        Catcher.objects.filter(token=token).only("function_id", "expires_at").first()
        if is_token_shaped(token)
        else None
    )
    if catcher is None:
        raise CatcherNotFound("No function catches requests at this URL.")
    if catcher.expires_at is not None and catcher.expires_at <= timezone.now():
        raise CatcherNotFound(
            "This test URL has expired: open the editor of a new function for another."
        )
    with transaction.atomic():
        capture = Capture.objects.create(
            function_id=catcher.function_id, catcher=catcher, **webhook.row()
        )
        _trim(_kept_with(catcher))
        group = group_of(catcher)
        transaction.on_commit(lambda: publish_capture(capture, group), robust=True)
    return capture


def _kept_with(catcher: Catcher) -> QuerySet[Capture]:
    """The captures kept together with this catcher's: its function's, or its own."""
    if catcher.function_id is None:
        return Capture.objects.filter(catcher=catcher)
    return Capture.objects.filter(function_id=catcher.function_id)


def _trim(captures: QuerySet[Capture]) -> None:
    newest_first = captures.order_by("-received_at", "-pk")
    older = list(newest_first.values_list("pk", flat=True)[Capture.KEEP :])
    if older:
        Capture.objects.filter(pk__in=older).delete()


def capture_delete(*, capture: Capture, actor) -> None:
    _ensure_tester(actor, capture.function)
    capture.delete()


def publish_capture(capture: Capture, group: str) -> None:
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
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("could not push capture %s to the catcher's editors", capture.pk)


# --- selectors ----------------------------------------------------------------------


def captures_of(function_id: int) -> QuerySet[Capture]:
    return Capture.objects.filter(function_id=function_id).order_by("-received_at", "-pk")


def scratch_captures_of(catcher: Catcher) -> QuerySet[Capture]:
    return Capture.objects.filter(catcher=catcher).order_by("-received_at", "-pk")


def scratch_catcher_for_user(user, workspace: Workspace, catcher_id) -> Catcher:
    """The user's own unexpired scratch catcher in the workspace, or Http404 (another
    user's, another workspace's, an adopted or an expired one alike). PermissionDenied
    first when the user may not create functions (a scratch catcher is for them)."""
    _ensure_creator(user, workspace)
    catcher = (
        Catcher.objects.select_related("workspace")
        .filter(pk=_id_or_404(catcher_id), workspace=workspace, function=None, created_by=user)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    if catcher is None:
        raise Http404("No such test URL: it has expired, or was adopted by a function.")
    catcher.workspace = workspace
    return catcher


def _id_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such test URL.") from None


def recent_captures(function_id: int) -> list[Capture]:
    """The kept captures, newest first; bodies over LIST_BODY_LIMIT, or past
    LIST_BODIES_LIMIT in all, are not loaded (such a capture has raw_body None and is
    shown truncated)."""
    return _recent(captures_of(function_id))


def recent_scratch_captures(catcher: Catcher) -> list[Capture]:
    """recent_captures of a scratch catcher."""
    return _recent(scratch_captures_of(catcher))


def _recent(captures: QuerySet[Capture]) -> list[Capture]:
    captures = list(captures.defer("raw_body").annotate(size=Length("raw_body"))[: Capture.KEEP])
    small, total = [], 0
    for capture in captures:
        if capture.size <= LIST_BODY_LIMIT and total + capture.size <= LIST_BODIES_LIMIT:
            small.append(capture.pk)
            total += capture.size
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
    credential headers and query parameters masked, the test URL's token shortened. Also
    in its `request`, so a Run from it never carries the sender's credentials."""
    masked = {
        **payload,
        "headers": mask_headers(payload["headers"]),
        "path": shorten_tokens(payload["path"]),
        "query_string": mask_query_string(payload["query_string"]),
        "url": mask_url(payload["url"]),
    }
    if "request" in payload:
        masked["request"] = mask_request(payload["request"])
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
