from django.urls import path

from ingest import api, views
from ingest.api import destinations as destination_api
from ingest.api import previews as preview_api
from ingest.api import rollouts as rollout_api
from ingest.api import scratch_catchers

source = "workspaces/<slug:ws>/sources/<slug:slug>/"
function = "workspaces/<slug:ws>/functions/<int:function_id>/"
preview = function + "previews/<int:preview_id>/"
destinations = "workspaces/<slug:ws>/destinations/"
scratch = "workspaces/<slug:ws>/catchers/"
destination = destinations + "<int:destination_id>/"

api_urlpatterns = [
    path(source + "logs/", api.LogsView.as_view(), name="source-logs"),
    path(source + "logs/<int:execution_id>/", api.ExecutionLogView.as_view(), name="source-log"),
    path(source + "events/", api.EventsView.as_view(), name="source-events"),
    path(source + "objects/", api.ObjectsView.as_view(), name="source-objects"),
    path(source + "objects/changes/", api.ObjectChangesView.as_view(), name="object-changes"),
    path(source + "dead-letters/", api.DeadLettersView.as_view(), name="source-dead-letters"),
    path(source + "rollout/", rollout_api.RolloutView.as_view(), name="source-rollout"),
    path(
        source + "rollout/promote/",
        rollout_api.RolloutPromoteView.as_view(),
        name="source-rollout-promote",
    ),
    path(source + "dead-letters/replay/", api.ReplayView.as_view(), name="source-replay"),
    path(
        source + "destinations/",
        destination_api.SourceDestinationsView.as_view(),
        name="source-destinations",
    ),
    path(destinations, destination_api.DestinationListView.as_view(), name="destinations"),
    path(destination, destination_api.DestinationDetailView.as_view(), name="destination"),
    path(
        destination + "test/",
        destination_api.DestinationTestView.as_view(),
        name="destination-test",
    ),
    path(
        destination + "dead-letters/",
        destination_api.DeliveryDeadLettersView.as_view(),
        name="destination-dead-letters",
    ),
    path(
        destination + "dead-letters/replay/",
        destination_api.DeliveryReplayView.as_view(),
        name="destination-replay",
    ),
    path(function + "previews/", preview_api.PreviewListView.as_view(), name="function-previews"),
    path(preview, preview_api.PreviewDetailView.as_view(), name="function-preview"),
    path(preview + "cancel/", preview_api.PreviewCancelView.as_view(), name="preview-cancel"),
    path(preview + "webhooks/", preview_api.PreviewWebhooksView.as_view(), name="preview-webhooks"),
    path(function + "catcher/", api.CatcherView.as_view(), name="function-catcher"),
    path(function + "catcher/rotate/", api.CatcherRotateView.as_view(), name="catcher-rotate"),
    path(
        function + "catcher/adopt/",
        scratch_catchers.CatcherAdoptView.as_view(),
        name="catcher-adopt",
    ),
    path(scratch, scratch_catchers.ScratchCatcherListView.as_view(), name="scratch-catchers"),
    path(
        scratch + "<int:catcher_id>/",
        scratch_catchers.ScratchCatcherDetailView.as_view(),
        name="scratch-catcher",
    ),
    path(
        scratch + "<int:catcher_id>/captures/",
        scratch_catchers.ScratchCapturesView.as_view(),
        name="scratch-captures",
    ),
    path(
        scratch + "<int:catcher_id>/captures/<int:capture_id>/",
        scratch_catchers.ScratchCaptureView.as_view(),
        name="scratch-capture",
    ),
    path(function + "captures/", api.CapturesView.as_view(), name="function-captures"),
    path(
        function + "captures/<int:capture_id>/", api.CaptureView.as_view(), name="function-capture"
    ),
]

hook_urlpatterns = [
    path("test/<str:token>", views.receive_capture, name="catcher"),
    path("<str:token>", views.receive_webhook, name="webhook"),
]
