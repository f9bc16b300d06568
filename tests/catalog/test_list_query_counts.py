"""List endpoints use a fixed number of queries, however many rows they list."""

import pytest

from catalog.models import Role
from catalog.services import audit_record, token_create
from tests.factories import FunctionVersionFactory, SourceFactory, deployed_function, member

pytestmark = pytest.mark.django_db

# Authentication (token + membership) and pagination's count are part of every list.
MAX_QUERIES = 6


@pytest.fixture
def many(workspace, owner):
    for _ in range(5):
        function = deployed_function(workspace=workspace, created_by=owner, updated_by=owner)
        FunctionVersionFactory(function=function, number=2, author=owner)
        SourceFactory(function=function)
        SourceFactory(function=function)
        admin = member(workspace, Role.SOURCE_ADMIN, all_sources=False)
        admin.memberships.get().sources.add(*function.sources.all())
        token_create(workspace=workspace, user=admin)
        audit_record(workspace=workspace, actor=admin, action="x", target=function)
    return function


@pytest.mark.parametrize(
    "path",
    ["functions/", "sources/", "members/", "tokens/", "audit/", "templates/", "versions/"],
)
def test_list_queries_do_not_grow_with_rows(owner_api, many, path, django_assert_max_num_queries):
    if path == "versions/":
        path = f"functions/{many.pk}/versions/"
    with django_assert_max_num_queries(MAX_QUERIES):
        response = owner_api.get(f"/api/v1/workspaces/acme/{path}")
    assert response.status_code == 200
    assert response.json()["count"] >= 2


def test_workspace_list_queries(owner_api, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert owner_api.get("/api/v1/workspaces/").status_code == 200


def test_invitation_lists_queries(owner_api, owner, workspace, django_assert_max_num_queries):
    from catalog.services import member_invite
    from tests.factories import UserFactory, WorkspaceFactory

    invited = UserFactory(email="invited@example.com")
    sources = [SourceFactory(function=deployed_function(workspace=workspace)) for _ in range(2)]
    for n in range(5):
        member_invite(workspace=workspace, actor=owner, email=f"new{n}@example.com",
                      role="source_admin", all_sources=False, sources=sources)  # fmt: skip
        other = WorkspaceFactory()
        inviter = member(other, Role.OWNER)
        member_invite(workspace=other, actor=inviter, email=invited.email, role="member")
    with django_assert_max_num_queries(MAX_QUERIES):
        listed = owner_api.get("/api/v1/workspaces/acme/invitations/").json()
    assert listed["count"] == 5 and listed["results"][0]["sources"]
    from rest_framework.test import APIClient

    mine = APIClient()
    mine.force_authenticate(invited)
    with django_assert_max_num_queries(4):
        assert mine.get("/api/v1/invitations/").json()["count"] == 5
