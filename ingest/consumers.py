"""Websockets of the ingest app: the webhook catcher of a function and the live
debugger of a source. Thin: catalog.access decides who may listen, ingest.catcher
and ingest.live say what is sent. Formats and close codes: docs/live.md."""

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from catalog import access
from catalog.models import Workspace
from ingest import catcher, live

# Refusals happen before the handshake is accepted; these are the codes the ASGI
# close carries (a browser only sees the refused handshake).
NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403
NOT_FOUND = 4404
AMBIGUOUS = 4409


class Ambiguous(Exception):
    """A source slug without its workspace that names sources in several of them."""


class ListenerConsumer(AsyncJsonWebsocketConsumer):
    """Base: authorize at connect, join one group, then forward what the group gets."""

    group = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.close(code=NOT_AUTHENTICATED)
        try:
            self.group = await database_sync_to_async(self.authorize)(
                user, **self.scope["url_route"]["kwargs"]
            )
        except Http404:
            return await self.close(code=NOT_FOUND)
        except PermissionDenied:
            return await self.close(code=FORBIDDEN)
        except Ambiguous:
            return await self.close(code=AMBIGUOUS)
        # Join before accepting: once the client is connected, nothing is missed.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.opened()

    async def disconnect(self, code) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        """Listeners only listen: what a client sends is ignored."""

    def authorize(self, user, **kwargs) -> str:
        """Runs in the database thread; returns the group to join or raises. Each
        listener says whom it admits; one that does not admits nobody."""
        raise PermissionDenied("This feed admits no one.")

    async def opened(self) -> None:
        """What to send right after the connection is accepted."""


class CatcherConsumer(ListenerConsumer):
    """ws/functions/<id>/catcher/: recent captures, then each new one."""

    def authorize(self, user, *, function_id: int) -> str:
        workspace = Workspace.objects.filter(functions__pk=function_id).first()
        if workspace is None:
            raise Http404("No such function.")
        self.function = access.function_for_user(user, workspace, function_id)
        return catcher.catcher_group(self.function.pk)

    async def opened(self) -> None:
        captures = await database_sync_to_async(self.recent)()
        await self.send_json({"type": "captures", "captures": captures})

    def recent(self) -> list[dict]:
        return [catcher.capture_payload(c) for c in catcher.recent_captures(self.function.pk)]

    async def capture_new(self, message: dict) -> None:
        # The capture arrives as JSON text (see catcher.publish_capture): no re-encoding.
        await self.send(text_data=f'{{"type": "capture", "capture": {message["capture"]}}}')


class LiveSourceConsumer(ListenerConsumer):
    """ws/workspaces/<ws>/sources/<slug>/live/ (and ws/sources/<slug>/live/ when the
    slug is unambiguous for the user): each execution of the source as it finishes."""

    def authorize(self, user, *, slug: str, ws: str | None = None) -> str:
        workspace = access.workspace_for_user(user, ws or _only_workspace_with(user, slug))
        self.source = access.source_for_user(user, workspace, slug)
        if not access.can_read_source_logs(user, self.source):
            raise PermissionDenied("Your role does not allow reading this source's logs.")
        return live.source_group(self.source.pk)

    async def opened(self) -> None:
        await sync_to_async(live.listener_joined)(self.source.pk)
        self.counted = True
        source = {"id": self.source.pk, "workspace": self.source.workspace.slug}
        await self.send_json({"type": "source", "source": {**source, "slug": self.source.slug}})

    async def disconnect(self, code) -> None:
        await super().disconnect(code)
        if getattr(self, "counted", False):
            await sync_to_async(live.listener_left)(self.source.pk)

    async def execution_finished(self, message: dict) -> None:
        await self.send_json({"type": "execution", "execution": message["execution"]})


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
