"""Catalog API routes, included under /api/v1/ by functions_ide/urls.py.

Other apps add their own routes under the same workspace prefix in their own urls
module (e.g. ingest: `workspaces/<slug:ws>/sources/<slug:slug>/events/`); use
WORKSPACE_PREFIX and the `ws` / `slug` kwarg names so catalog.access fits.
"""

from django.urls import include, path

from catalog.api import functions, samples, saved_tests, sources, workspaces

WORKSPACE_PREFIX = "workspaces/<slug:ws>/"

function_patterns = [
    path("", functions.FunctionDetailView.as_view(), name="function-detail"),
    path("deploy/", functions.FunctionDeployView.as_view(), name="function-deploy"),
    path("test/", functions.FunctionTestView.as_view(), name="function-test"),
    path(
        "test-settings/",
        functions.FunctionTestSettingsView.as_view(),
        name="function-test-settings",
    ),
    path("samples/", samples.SampleListView.as_view(), name="sample-list"),
    path("samples/<int:sample_id>/", samples.SampleDetailView.as_view(), name="sample-detail"),
    path("tests/", saved_tests.SavedTestListView.as_view(), name="saved-test-list"),
    path("tests/run/", saved_tests.SavedTestRunView.as_view(), name="saved-test-run"),
    path(
        "tests/<int:test_id>/",
        saved_tests.SavedTestDetailView.as_view(),
        name="saved-test-detail",
    ),
    path("versions/", functions.VersionListView.as_view(), name="version-list"),
    path("versions/<int:number>/", functions.VersionDetailView.as_view(), name="version-detail"),
    path(
        "versions/<int:number>/restore/",
        functions.VersionRestoreView.as_view(),
        name="version-restore",
    ),
]

source_patterns = [
    path("", sources.SourceDetailView.as_view(), name="source-detail"),
    path("upgrade/", sources.SourceUpgradeView.as_view(), name="source-upgrade"),
    path("rotate-token/", sources.SourceRotateTokenView.as_view(), name="source-rotate-token"),
]

workspace_patterns = [
    path("", workspaces.WorkspaceDetailView.as_view(), name="workspace-detail"),
    path("functions/", functions.FunctionListView.as_view(), name="function-list"),
    path("functions/<int:function_id>/", include(function_patterns)),
    path("templates/", functions.TemplateListView.as_view(), name="template-list"),
    path("templates/<slug:slug>/", functions.TemplateDetailView.as_view(), name="template-detail"),
    path("sources/", sources.SourceListView.as_view(), name="source-list"),
    path("sources/<slug:slug>/", include(source_patterns)),
    path("members/", workspaces.MemberListView.as_view(), name="member-list"),
    path("members/<int:member_id>/", workspaces.MemberDetailView.as_view(), name="member-detail"),
    path(
        "members/<int:member_id>/invite/",
        workspaces.MemberInviteView.as_view(),
        name="member-invite",
    ),
    path(
        "invitations/",
        workspaces.WorkspaceInvitationListView.as_view(),
        name="workspace-invitation-list",
    ),
    path(
        "invitations/<int:invitation_id>/",
        workspaces.WorkspaceInvitationDetailView.as_view(),
        name="workspace-invitation-detail",
    ),
    path("tokens/", workspaces.TokenListView.as_view(), name="token-list"),
    path("tokens/<int:token_id>/", workspaces.TokenDetailView.as_view(), name="token-detail"),
    path("audit/", workspaces.AuditListView.as_view(), name="audit-list"),
]

app_name = "catalog"
urlpatterns = [
    path("workspaces/", workspaces.WorkspaceListView.as_view(), name="workspace-list"),
    path("invitations/", workspaces.MyInvitationListView.as_view(), name="invitation-list"),
    path(
        "invitations/accept/", workspaces.InvitationAcceptView.as_view(), name="invitation-accept"
    ),
    path(
        "invitations/<int:invitation_id>/",
        workspaces.MyInvitationDetailView.as_view(),
        name="invitation-detail",
    ),
    path(WORKSPACE_PREFIX, include(workspace_patterns)),
]
