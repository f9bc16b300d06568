"""Websocket routes of the ingest app (docs/live.md)."""

from django.urls import path

from ingest import consumers

websocket_urlpatterns = [
    path("ws/functions/<int:function_id>/catcher/", consumers.CatcherConsumer.as_asgi()),
    path(
        "ws/workspaces/<slug:ws>/catchers/<int:catcher_id>/",
        consumers.ScratchCatcherConsumer.as_asgi(),
    ),
    path(
        "ws/workspaces/<slug:ws>/sources/<slug:slug>/live/",
        consumers.LiveSourceConsumer.as_asgi(),
    ),
    # Without the workspace: served only when the slug names one source the user can see.
    path("ws/sources/<slug:slug>/live/", consumers.LiveSourceConsumer.as_asgi()),
]
