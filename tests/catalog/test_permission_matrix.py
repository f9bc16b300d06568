"""Every catalog endpoint, with each role and an outsider, answers as the matrix of
issue 4 (docs/catalog.md) says. The endpoint list is generated from the URLconf, so a
new endpoint fails test_the_matrix_covers_every_endpoint until it is added here."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from catalog.models import AccessToken, FunctionSample, Role, SavedTest
from catalog.services import member_invite, token_create
from tests.factories import SourceFactory, WorkspaceFactory, deployed_function, member

pytestmark = pytest.mark.django_db

OWNER, ADMIN, MEMBER = "owner", "source_admin", "member"
EVERYONE = {OWNER, ADMIN, MEMBER}
EDITORS = {OWNER, ADMIN}

# (url name, method) -> (roles allowed, request body). Other roles of the workspace get
# 403, an outsider 404.
MATRIX = {
    ("workspace-detail", "get"): (EVERYONE, None),
    ("function-list", "get"): (EVERYONE, None),
    ("function-list", "post"): ({OWNER}, {"name": "New"}),
    ("function-detail", "get"): (EVERYONE, None),
    ("function-detail", "patch"): ({OWNER}, {"code": "// saved"}),
    ("function-detail", "delete"): ({OWNER}, "?force=true"),
    ("function-deploy", "post"): ({OWNER}, {"message": "m"}),
    ("function-test", "post"): (EDITORS, {"request": {"body": {}}}),
    ("function-test-settings", "patch"): (EDITORS, {"settings": {}}),
    ("sample-list", "get"): (EVERYONE, None),
    ("sample-list", "post"): ({OWNER}, {"name": "New", "request": {"body": {}}}),
    ("sample-detail", "get"): (EVERYONE, None),
    ("sample-detail", "patch"): ({OWNER}, {"name": "Renamed"}),
    ("sample-detail", "delete"): ({OWNER}, None),
    ("saved-test-list", "get"): (EVERYONE, None),
    ("saved-test-list", "post"): (
        {OWNER},
        {"name": "New", "request": {}, "expect": {"events": []}},
    ),
    ("saved-test-detail", "get"): (EVERYONE, None),
    ("saved-test-detail", "patch"): ({OWNER}, {"name": "Renamed"}),
    ("saved-test-detail", "delete"): ({OWNER}, None),
    ("saved-test-run", "post"): (EDITORS, {}),
    ("version-list", "get"): (EVERYONE, None),
    ("version-detail", "get"): (EVERYONE, None),
    ("version-restore", "post"): ({OWNER}, None),
    ("template-list", "get"): (EVERYONE, None),
    ("template-detail", "get"): (EVERYONE, None),
    ("source-list", "get"): (EVERYONE, None),
    ("source-list", "post"): (EDITORS, "new-source"),
    ("source-detail", "get"): (EVERYONE, None),
    ("source-detail", "patch"): (EDITORS, {"enabled": False}),
    ("source-detail", "delete"): (EDITORS, None),
    ("source-upgrade", "post"): (EDITORS, {"version": 1}),
    ("source-rotate-token", "post"): (EDITORS, None),
    ("member-list", "get"): (EVERYONE, None),
    ("member-list", "post"): ({OWNER}, {"email": "new@acme.example", "role": "member"}),
    ("member-detail", "patch"): ({OWNER}, {"role": "source_admin"}),
    ("member-detail", "delete"): ({OWNER}, None),
    ("member-invite", "post"): ({OWNER}, None),
    ("workspace-invitation-list", "get"): ({OWNER}, None),
    ("workspace-invitation-detail", "delete"): ({OWNER}, None),
    ("token-list", "get"): (EVERYONE, None),
    ("token-list", "post"): (EVERYONE, {"name": "mine"}),
    ("token-detail", "delete"): (EVERYONE, None),  # the actor's own token
    ("audit-list", "get"): ({OWNER}, None),
}
# Not under a workspace: one's own workspaces and invitations
# (tests/security/test_authorization_matrix.py and test_account_pre_hijack.py).
NOT_IN_A_WORKSPACE = {
    ("workspace-list", "get"),
    ("invitation-list", "get"),
    ("invitation-accept", "post"),
    ("invitation-detail", "delete"),
}


def catalog_endpoints() -> set[tuple[str, str]]:
    """(url name, method) of every view in the catalog's URLconf."""
    found = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = pattern.callback.view_class
                for method in view.http_method_names:
                    if method not in {"options", "head"} and hasattr(view, method):
                        found.add((pattern.name, method))

    walk(get_resolver().namespace_dict["catalog"][1].url_patterns)
    return found


def test_the_matrix_covers_every_endpoint():
    assert catalog_endpoints() == set(MATRIX) | NOT_IN_A_WORKSPACE


@pytest.fixture
def world(world_rows, db, empty_test_runs):
    """The module's rows (world_rows), with test runs answered at once."""
    return world_rows


@pytest.fixture(scope="module")
def world_rows(module_db):
    """A deployed function with a source, users per role, a member to change: made once
    for the module (tests/conftest.py module_db), each test's writes rolled back."""
    workspace = WorkspaceFactory(slug="acme", name="Acme")
    owner = member(workspace, Role.OWNER, "owner@acme.example")
    function = deployed_function(workspace=workspace)
    source = SourceFactory(function=function)
    users = {
        OWNER: owner,
        ADMIN: member(workspace, Role.SOURCE_ADMIN),
        MEMBER: member(workspace, Role.MEMBER),
        "outsider": member(SourceFactory().workspace, Role.OWNER),
    }
    target = member(workspace, Role.MEMBER, "target@acme.example")
    target.set_unusable_password()  # invited, has not set a password yet
    target.save(update_fields=["password"])
    invited = member_invite(
        workspace=workspace, actor=owner, email="new@example.com", role="member"
    )
    return {
        "function": function,
        "saved_test": SavedTest.objects.create(
            function=function, name="A test", request={}, expect={"events": []}
        ),
        "sample": FunctionSample.objects.create(
            function=function, name="A sample", request={"body": {}}
        ),
        "source": source,
        "users": users,
        "target": target.memberships.get(),
        "invitation": invited.invite,
    }


def url_for(name: str, world: dict, user) -> str:
    base = "/api/v1/workspaces/acme"
    function = f"{base}/functions/{world['function'].pk}"
    source = f"{base}/sources/{world['source'].slug}"
    own_token = AccessToken.objects.filter(user=user).first()
    if own_token is None:
        own_token, _ = token_create(workspace=user.memberships.get().workspace, user=user)
    return {
        "workspace-detail": f"{base}/",
        "function-list": f"{base}/functions/",
        "function-detail": f"{function}/",
        "function-deploy": f"{function}/deploy/",
        "function-test": f"{function}/test/",
        "function-test-settings": f"{function}/test-settings/",
        "sample-list": f"{function}/samples/",
        "sample-detail": f"{function}/samples/{world['sample'].pk}/",
        "saved-test-list": f"{function}/tests/",
        "saved-test-detail": f"{function}/tests/{world['saved_test'].pk}/",
        "saved-test-run": f"{function}/tests/run/",
        "version-list": f"{function}/versions/",
        "version-detail": f"{function}/versions/1/",
        "version-restore": f"{function}/versions/1/restore/",
        "template-list": f"{base}/templates/",
        "template-detail": f"{base}/templates/default/",
        "source-list": f"{base}/sources/",
        "source-detail": f"{source}/",
        "source-upgrade": f"{source}/upgrade/",
        "source-rotate-token": f"{source}/rotate-token/",
        "member-list": f"{base}/members/",
        "member-detail": f"{base}/members/{world['target'].pk}/",
        "member-invite": f"{base}/members/{world['target'].pk}/invite/",
        "workspace-invitation-list": f"{base}/invitations/",
        "workspace-invitation-detail": f"{base}/invitations/{world['invitation'].pk}/",
        "token-list": f"{base}/tokens/",
        "token-detail": f"{base}/tokens/{own_token.pk}/",
        "audit-list": f"{base}/audit/",
    }[name]


def call(world: dict, role: str, name: str, method: str):
    user = world["users"][role]
    client = APIClient()
    client.force_authenticate(user)
    _, body = MATRIX[(name, method)]
    url = url_for(name, world, user)
    if body == "?force=true":
        url, body = url + body, None
    elif body == "new-source":
        body = {"name": "Another", "function": world["function"].pk}
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("name", "method"), sorted(MATRIX))
@pytest.mark.parametrize("role", [OWNER, ADMIN, MEMBER, "outsider"])
def test_endpoint_answers_each_role_as_the_matrix_says(world, role, name, method):
    allowed, _ = MATRIX[(name, method)]

    response = call(world, role, name, method)

    if role == "outsider":
        expected = {404}
    elif role in allowed:
        expected = {200, 201, 204}
    else:
        expected = {403}
    assert response.status_code in expected, (role, name, method, response.content[:300])
    if response.status_code >= 400:
        assert "detail" in response.json()


def test_anonymous_requests_are_refused(world):
    response = APIClient().get("/api/v1/workspaces/acme/functions/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_workspace_list_shows_only_the_users_workspaces(world):
    client = APIClient()
    client.force_authenticate(world["users"]["outsider"])
    slugs = [w["slug"] for w in client.get("/api/v1/workspaces/").json()["results"]]
    assert "acme" not in slugs and len(slugs) == 1
