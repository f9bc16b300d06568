"""API tokens: shown once, stored hashed, limited to their workspace, revocable."""

import hashlib

import pytest
from rest_framework.test import APIClient

from catalog.models import AccessToken, Role
from tests.factories import WorkspaceFactory, bearer, member

pytestmark = pytest.mark.django_db


def client_with(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


def test_a_token_is_shown_once_and_stored_as_its_hash(owner_api):
    response = owner_api.post("/api/v1/workspaces/acme/tokens/", {"name": "ci"})

    raw = response.json()["token"]
    assert raw.startswith("sfi_") and response.json()["hint"] == raw[:8]
    row = AccessToken.objects.get(name="ci")
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    listed = owner_api.get("/api/v1/workspaces/acme/tokens/").json()["results"]
    assert all("token" not in t for t in listed)
    assert client_with(f"Bearer {raw}").get("/api/v1/workspaces/acme/").status_code == 200
    assert AccessToken.objects.get(name="ci").last_used_at is not None


def test_a_token_works_only_in_its_own_workspace(workspace, owner):
    other = WorkspaceFactory(slug="beta")
    member(other, Role.OWNER)
    other.memberships.create(user=owner, role=Role.OWNER)
    acme_token = client_with(bearer(owner, workspace))

    assert acme_token.get("/api/v1/workspaces/acme/functions/").status_code == 200
    assert acme_token.get("/api/v1/workspaces/beta/functions/").status_code == 404
    listed = acme_token.get("/api/v1/workspaces/").json()["results"]
    assert [w["slug"] for w in listed] == ["acme"]


def test_revoked_and_unknown_tokens_are_refused(owner, workspace):
    header = bearer(owner, workspace)
    token = AccessToken.objects.get(user=owner)
    api = client_with(header)
    assert api.delete(f"/api/v1/workspaces/acme/tokens/{token.pk}/").status_code == 204

    refused = api.get("/api/v1/workspaces/acme/")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "This token is unknown or was revoked."
    assert client_with("Bearer sfi_nope").get("/api/v1/workspaces/").status_code == 401


def test_members_manage_only_their_own_tokens(workspace, owner, member_user):
    bearer(owner, workspace)
    owners_token = AccessToken.objects.get(user=owner)
    api = client_with(bearer(member_user, workspace))

    listed = api.get("/api/v1/workspaces/acme/tokens/").json()["results"]
    assert [t["owner"] for t in listed] == [member_user.email]
    assert api.delete(f"/api/v1/workspaces/acme/tokens/{owners_token.pk}/").status_code == 404


def test_an_owner_sees_and_revokes_every_token(workspace, owner, member_user, owner_api):
    bearer(member_user, workspace)
    members_token = AccessToken.objects.get(user=member_user)

    listed = owner_api.get("/api/v1/workspaces/acme/tokens/").json()["results"]
    assert {t["owner"] for t in listed} == {owner.email, member_user.email}
    assert (
        owner_api.delete(f"/api/v1/workspaces/acme/tokens/{members_token.pk}/").status_code == 204
    )
    assert AccessToken.objects.get(pk=members_token.pk).revoked_at is not None


def test_removing_a_member_revokes_their_tokens(workspace, member_user, owner_api):
    api = client_with(bearer(member_user, workspace))
    membership = member_user.memberships.get()

    assert owner_api.delete(f"/api/v1/workspaces/acme/members/{membership.pk}/").status_code == 204
    assert api.get("/api/v1/workspaces/acme/").status_code == 401
