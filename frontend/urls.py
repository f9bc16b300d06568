from django.urls import path

from frontend import api, views

ws = "workspaces/<slug:ws>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("workspaces/", views.workspaces, name="workspaces"),
    path("help/legacy-functions/", views.help_legacy, name="help-legacy"),
    path(ws, views.workspace_home, name="workspace"),
    path(ws + "functions/", views.functions, name="functions"),
    path(ws + "functions/new/", views.function_new, name="function-new"),
    path(ws + "functions/new/test/", api.ScratchTestView.as_view(), name="function-new-test"),
    path(ws + "functions/<int:function_id>/", views.function_edit, name="function-edit"),
    path(ws + "sources/", views.sources, name="sources"),
    path(ws + "sources/new/", views.source_connect, name="source-connect"),
    path(ws + "sources/<slug:slug>/", views.source_detail, name="source"),
    path(ws + "sources/<slug:slug>/stats.json", views.source_stats, name="source-stats"),
    path(ws + "destinations/", views.destinations_page, name="destinations-page"),
    path(ws + "settings/", views.workspace_settings, name="workspace-settings"),
]
