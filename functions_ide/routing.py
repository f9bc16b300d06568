"""Websocket routes of every app, gathered for asgi.py, and the answer to any other."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import re_path

from ingest.routing import websocket_urlpatterns as ingest_websockets

NOT_FOUND = 4404

websocket_urlpatterns: list = [*ingest_websockets]


class UnknownPath(AsyncWebsocketConsumer):
    """A path no route serves: refused with 4404, as a refused listener is, instead of
    the router's exception (an HTTP 500 and a traceback that anyone could trigger)."""

    async def connect(self) -> None:
        await self.close(code=NOT_FOUND)


unknown_path = re_path(r"", UnknownPath.as_asgi())
