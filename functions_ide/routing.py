"""Websocket routes of every app, gathered for asgi.py."""

from ingest.routing import websocket_urlpatterns as ingest_websockets

websocket_urlpatterns: list = [*ingest_websockets]
