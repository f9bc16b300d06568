"""An owner of one workspace cannot choose the password of a member of another."""

import pytest
from django.contrib.auth import get_user_model

from catalog.models import Invite, Membership
from tests.factories import WorkspaceFactory, member

pytestmark = pytest.mark.django_db


def add(api, ws: str, email: str, role: str = "owner"):
    return api.post(
        f"/api/v1/workspaces/{ws}/members/", {"email": email, "role": role}, format="json"
    )


def test_a_second_workspace_gets_no_link_for_someone_already_invited(owner_api, api_client_for):
    first = add(owner_api, "acme", "victim@corp.example")
    assert first.status_code == 201 and first.json()["invite_url"]
    evil = WorkspaceFactory(slug="evil")
    attacker = member(evil, "owner", "attacker@evil.example")
    second = add(api_client_for(attacker, evil), "evil", "victim@corp.example", "member")
    assert second.status_code == 201
    assert second.json()["invite_url"] is None


def test_nor_by_asking_for_a_new_link(owner_api, api_client_for):
    add(owner_api, "acme", "victim@corp.example")
    evil = WorkspaceFactory(slug="evil")
    attacker_api = api_client_for(member(evil, "owner", "attacker@evil.example"), evil)
    add(attacker_api, "evil", "victim@corp.example", "member")
    membership = Membership.objects.get(workspace=evil, user__email="victim@corp.example")
    response = attacker_api.post(f"/api/v1/workspaces/evil/members/{membership.pk}/invite/")
    assert response.status_code == 400
    assert "another workspace" in response.json()["errors"]["email"][0]
    assert Invite.objects.filter(workspace__slug="acme", accepted_at=None).exists()


def test_a_used_up_user_cannot_be_reset_through_an_old_link(owner_api, client):
    link = add(owner_api, "acme", "victim@corp.example").json()["invite_url"]
    path = (
        link.split("127.0.0.1:8000")[-1]
        if "127.0.0.1:8000" in link
        else "/" + link.split("/", 3)[3]
    )
    done = client.post(
        path, {"new_password1": "a long password 1", "new_password2": "a long password 1"}
    )
    assert done.status_code == 302
    client.logout()
    again = client.post(
        path, {"new_password1": "attacker pass 22", "new_password2": "attacker pass 22"}
    )
    assert again.status_code == 404
    assert (
        get_user_model()
        .objects.get(email="victim@corp.example")
        .check_password("a long password 1")
    )
