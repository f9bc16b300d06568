"""Websocket routes of every app, gathered for asgi.py, and the answer to any other."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from ingest.routing import websocket_urlpatterns as ingest_websockets

NOT_FOUND = 4404

websocket_urlpatterns: list = [*ingest_websockets]


class UnknownPath(AsyncWebsocketConsumer):
    """A path no route serves: closed with 4404 instead of the router's exception (an
    HTTP 500 and a traceback that anyone could trigger). Accepted first, because a close
    before the handshake is accepted reaches a client only as an HTTP 403: the code
    would never arrive."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=NOT_FOUND)


unknown_path = re_path(r"", UnknownPath.as_asgi())
