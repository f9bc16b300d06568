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


ATTACKER_PASSWORD = {"new_password1": "attacker pass 22", "new_password2": "attacker pass 22"}


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def victim():
    return get_user_model().objects.get(email="victim@corp.example")


def test_a_second_workspace_gets_no_link_that_sets_the_password(owner_api, api_client_for, client):
    first = add(owner_api, "acme", "victim@corp.example")
    assert first.status_code == 201 and first.json()["invite_url"]
    evil = WorkspaceFactory(slug="evil")
    attacker = member(evil, "owner", "attacker@evil.example")
    second = add(api_client_for(attacker, evil), "evil", "victim@corp.example", "member")
    # The same answer as for anyone (nothing tells an owner the email has an account)...
    assert second.status_code == 201 and set(second.json()) == set(first.json())
    # ...but its link does not choose the password: the first workspace's link does.
    page = client.get(path_of(second.json()["invite_url"]))
    assert page.status_code == 200 and b"new_password1" not in page.content
    assert b"no password yet" in page.content
    client.post(path_of(second.json()["invite_url"]), ATTACKER_PASSWORD)
    assert not victim().has_usable_password()
    assert not Membership.objects.filter(workspace=evil, user=victim()).exists()
    assert b"new_password1" in client.get(path_of(first.json()["invite_url"])).content


def test_nor_by_asking_for_a_new_link(owner_api, api_client_for, client):
    add(owner_api, "acme", "victim@corp.example")
    evil = WorkspaceFactory(slug="evil")
    attacker_api = api_client_for(member(evil, "owner", "attacker@evil.example"), evil)
    add(attacker_api, "evil", "victim@corp.example", "member")
    again = add(attacker_api, "evil", "victim@corp.example", "owner")
    assert again.status_code == 201
    client.post(path_of(again.json()["invite_url"]), ATTACKER_PASSWORD)
    assert not victim().has_usable_password()
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
