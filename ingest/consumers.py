"""Websockets of the ingest app: the webhook catcher of a function and the live
debugger of a source. Thin: catalog.access and catalog.policy decide who may listen,
ingest.catcher and ingest.live say what is sent. Formats and close codes: docs/live.md."""

import asyncio
import logging
import time
from importlib import import_module

from asgiref.sync import sync_to_async
from channels.auth import get_user
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from catalog import access, policy
from catalog.models import Workspace
from catalog.policy import Action
from ingest import catcher, live

logger = logging.getLogger(__name__)

# Refusals happen before the handshake is accepted; these are the codes the ASGI
# close carries (a browser only sees the refused handshake). An open socket is
# closed with NOT_AUTHENTICATED when its session ends, FORBIDDEN when access is lost.
NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
AMBIGUOUS = 4409
# The re-check itself failed (database down); 1011 is not a code a server may send.
CHECK_FAILED = 4503

# Access is decided at connect and re-checked on the open socket: before sending when
# the last verdict is older than ACCESS_RECHECK_SECONDS, and every IDLE_RECHECK_SECONDS
# when nothing is sent. Each check costs a few queries; these bound how long a removed
# member or an ended session keeps listening.
ACCESS_RECHECK_SECONDS = 5.0
IDLE_RECHECK_SECONDS = 30.0


class Ambiguous(Exception):
    """A source slug without its workspace that names sources in several of them."""


class ListenerConsumer(AsyncJsonWebsocketConsumer):
    """Base: authorize at connect, join one group, then forward what the group gets
    for as long as the session and the access last (see ACCESS_RECHECK_SECONDS)."""

    group = ""
    closed_with: int | None = None
    watcher: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(code=NOT_AUTHENTICATED)
        self.route = dict(self.scope["url_route"]["kwargs"])
        try:
            self.group = await database_sync_to_async(self.authorize)(user, **self.route)
        except Http404:
            return await self.close(code=NOT_FOUND)
        except PermissionDenied:
            return await self.close(code=FORBIDDEN)
        except Ambiguous:
            return await self.close(code=AMBIGUOUS)
        self.user_id = user.pk
        self.session_key = self.scope["session"].session_key
        self.checked_at = time.monotonic()
        self.checking = asyncio.Lock()
        # Join before accepting: once the client is connected, nothing is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.opened()
        self.watcher = asyncio.create_task(self.watch())

    async def disconnect(self, code) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """Listeners only listen: what a client sends is ignored."""

    def authorize(self, user, **kwargs) -> str:
        """Runs in the database thread; returns the group to join or raises. Each
        listener says whom it admits; one that does not admits nobody. Called again
        on the open socket with self.route, so it is the one rule for both."""
        raise PermissionDenied("This feed admits no one.")

    async def opened(self) -> None:
        """What to send right after the connection is accepted."""

    async def may_send(self) -> bool:
        """Whether the client may still get data. Re-checks the session and the access
        when the last verdict is older than ACCESS_RECHECK_SECONDS; when either is
        gone the socket is closed (and False returned) instead of sending."""
        async with self.checking:
            stale = time.monotonic() - self.checked_at >= ACCESS_RECHECK_SECONDS
            if self.closed_with is None and stale:
                code = await self._recheck()
                self.checked_at = time.monotonic()
                if code is not None:
                    await self._close_for(code)
            return self.closed_with is None

    async def watch(self) -> None:
        """Re-check while no message flows, so a socket that lost access is closed
        (and stops counting as a listener) even when nothing is sent to it."""
        while await self.may_send():
            await asyncio.sleep(IDLE_RECHECK_SECONDS)

    async def _recheck(self) -> int | None:
        try:
            user = await session_user(self.session_key)
            return await database_sync_to_async(self.access_lost)(user)
        except Exception:
            # Fail closed: the client reconnects, and connecting checks everything again.
            logger.warning("could not re-check access of websocket %s", self.group, exc_info=True)
            return CHECK_FAILED

    def access_lost(self, user) -> int | None:
        """Runs in the database thread: None while the session's user (now) may keep
        listening, else the code to close the socket with."""
        if user is None or user.pk != self.user_id:
            return NOT_AUTHENTICATED
        try:
            group = self.authorize(user, **self.route)
        except (Http404, PermissionDenied, Ambiguous):
            return FORBIDDEN
        return None if group == self.group else FORBIDDEN

    async def _close_for(self, code: int) -> None:
        self.closed_with = code
        # Leave the group at once: nothing more is queued for this socket. Closed
        # even if the channel layer fails meanwhile (it is not sent to again).
        try:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        except Exception:
            logger.warning("websocket %s could not leave its group", self.group, exc_info=True)
        await self.close(code=code)


class CatcherConsumer(ListenerConsumer):
    """ws/functions/<id>/catcher/: recent captures, then each new one; credential
    headers masked for anyone below owner, as in the API (re-decided on each re-check)."""

    def authorize(self, user, *, function_id: int) -> str:
        workspace = Workspace.objects.filter(functions__pk=function_id).first()
        if workspace is None:
            raise Http404("No such function.")
        self.function = access.function_for_user(user, workspace, function_id)
        self.reveal = policy.allows(policy.membership_of(user, workspace), Action.SEE_CREDENTIALS)
        return catcher.catcher_group(self.function.pk)

    async def opened(self) -> None:
        captures = await database_sync_to_async(self.recent)()
        await self.send_json({"type": "captures", "captures": captures})

    def recent(self) -> list[dict]:
        payloads = (catcher.capture_payload(c) for c in self.kept())
        return [p if self.reveal else catcher.masked_capture(p) for p in payloads]

    def kept(self) -> list:
        return catcher.recent_captures(self.function.pk)

    async def capture_new(self, message: dict) -> None:
        if not await self.may_send():
            return
        # The capture arrives as JSON text (see catcher.publish_capture): no re-encoding.
        capture = message["capture"] if self.reveal else message["masked"]
        await self.send(text_data=f'{{"type": "capture", "capture": {capture}}}')


class ScratchCatcherConsumer(CatcherConsumer):
    """ws/workspaces/<ws>/catchers/<id>/: the same, for the user's own scratch catcher (a
    function not created yet). Closed once the catcher is adopted, expires or goes."""

    def authorize(self, user, *, ws: str, catcher_id: int) -> str:
        workspace = access.workspace_for_user(user, ws)
        self.scratch = catcher.scratch_catcher_for_user(user, workspace, catcher_id)
        self.reveal = policy.allows(policy.membership_of(user, workspace), Action.SEE_CREDENTIALS)
        return catcher.scratch_group(self.scratch.pk)

    def kept(self) -> list:
        return catcher.recent_scratch_captures(self.scratch)

    async def catcher_adopted(self, message: dict) -> None:
        """Adopted by a function: what the URL catches is the function's now."""
        if self.closed_with is None:
            await self._close_for(FORBIDDEN)


class LiveSourceConsumer(ListenerConsumer):
    """ws/workspaces/<ws>/sources/<slug>/live/ (and ws/sources/<slug>/live/ when the
    slug is unambiguous for the user): each execution of the source as it finishes."""

    def authorize(self, user, *, slug: str, ws: str | None = None) -> str:
        workspace = access.workspace_for_user(user, ws or _only_workspace_with(user, slug))
        source = access.source_logs_for_user(user, workspace, slug)
        # Re-checks ask about this workspace's source, even if the short route becomes
        # ambiguous for the user later.
        self.source, self.route = source, {"slug": slug, "ws": workspace.slug}
        return live.source_group(source.pk)

    async def opened(self) -> None:
        await sync_to_async(live.listener_joined)(self.source.pk)
        self.counted = self.source.pk
        source = {"id": self.source.pk, "workspace": self.source.workspace.slug}
        await self.send_json({"type": "source", "source": {**source, "slug": self.source.slug}})

    async def disconnect(self, code) -> None:
        await super().disconnect(code)
        if getattr(self, "counted", None) is not None:
            await sync_to_async(live.listener_left)(self.counted)

    async def execution_finished(self, message: dict) -> None:
        if await self.may_send():
            await self.send_json({"type": "execution", "execution": message["execution"]})

    async def delivery_settled(self, message: dict) -> None:
        if await self.may_send():
            await self.send_json({"type": "delivery", "delivery": message["delivery"]})


def _only_workspace_with(user, slug: str) -> str:
    """The slug of the one workspace of the user that has a source with this slug."""
    slugs = list(
        Workspace.objects.filter(memberships__user=user, sources__slug=slug)
        .values_list("slug", flat=True)
        .distinct()[:2]
    )
    if not slugs:
        raise Http404("No such source.")
    if len(slugs) > 1:
        raise Ambiguous(slug)
    return slugs[0]


async def session_user(session_key: str | None):
    """The user a session is logged in as now, or None once it was logged out, expired
    or flushed, the password changed, or the account deactivated: Channels' get_user
    (what AuthMiddlewareStack asked at connect) on the session loaded afresh."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = await get_user({"session": session})
    return user if user.is_authenticated else None
