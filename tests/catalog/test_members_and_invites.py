"""Owners add members by email and role: an invitation, accepted through a one-time,
expiring invite link (a new user sets a password there). Existing accounts:
tests/security/test_account_pre_hijack.py."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import AuditEntry, Invite, Membership

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/workspaces/acme/members/"


def add(api, **body):
    return api.post(MEMBERS, body, format="json")


def test_a_new_user_gets_an_invite_link_once(owner_api, client):
    response = add(owner_api, email="New@Acme.example", role="member")

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@acme.example" and body["invited"] is True
    invite_path = "/" + body["invite_url"].split("/", 3)[3]  # whatever PUBLIC_URL is
    page = client.get(invite_path)
    assert page.status_code == 200 and b"new@acme.example" in page.content
    done = client.post(
        invite_path, {"new_password1": "a-long-pass-99", "new_password2": "a-long-pass-99"}
    )
    assert done.status_code == 302 and done["Location"] == "/workspaces/"
    assert (
        get_user_model().objects.get(username="new@acme.example").check_password("a-long-pass-99")
    )
    assert client.get(invite_path).status_code == 404  # used up
    listed = owner_api.get(MEMBERS).json()["results"]
    assert all("invite_url" not in m for m in listed)
    assert "new@acme.example" in {m["email"] for m in listed}  # a member once accepted


def test_an_expired_invite_is_refused(owner_api, client):
    url = add(owner_api, email="late@acme.example", role="member").json()["invite_url"]
    Invite.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(url.split("8000", 1)[-1]).status_code == 404


def test_an_owner_can_issue_a_new_link_which_voids_the_old(owner_api, client):
    added = add(owner_api, email="slow@acme.example", role="member").json()
    old_path = added["invite_url"].split("8000", 1)[-1]

    again = add(owner_api, email="slow@acme.example", role="member")

    assert again.status_code == 201
    assert client.get(old_path).status_code == 404
    assert client.get(again.json()["invite_url"].split("8000", 1)[-1]).status_code == 200


def test_a_member_added_by_an_operator_gets_a_new_link_which_voids_the_old(
    owner_api, client, workspace, owner
):
    from catalog.services import member_add

    added = member_add(workspace=workspace, actor=owner, email="slow@acme.example", role="member")
    old_path = added.invite_url.split("8000", 1)[-1]

    again = owner_api.post(f"{MEMBERS}{added.membership.pk}/invite/")

    assert again.status_code == 201
    assert client.get(old_path).status_code == 404
    assert client.get(again.json()["invite_url"].split("8000", 1)[-1]).status_code == 200


def test_an_existing_user_is_invited_not_added(owner_api, outsider):
    # Issue 18.1: an account someone else may hold gets access only by accepting.
    response = add(owner_api, email=outsider.email, role="source_admin")
    assert response.status_code == 201 and response.json()["invite_url"]
    assert response.json()["invited"] is True
    assert Membership.objects.filter(user=outsider).count() == 1


def test_errors_name_the_field(owner_api, member_user):
    assert add(owner_api, email="nope", role="member").json()["errors"] == {
        "email": ["Enter a valid email address."]
    }
    taken = add(owner_api, email=member_user.email, role="member").json()
    assert "already a member" in taken["errors"]["email"][0]
    assert "role" in add(owner_api, email="x@acme.example", role="king").json()["errors"]


def test_a_source_admin_for_chosen_sources(owner_api):
    from tests.factories import SourceFactory, deployed_function

    function = deployed_function(workspace_id=_acme_id())
    SourceFactory(function=function, slug="mine")
    body = {"email": "sa@acme.example", "role": "source_admin", "all_sources": False,
            "sources": ["mine"]}  # fmt: skip
    response = add(owner_api, **body)
    assert response.json()["sources"] == ["mine"] and response.json()["all_sources"] is False
    _accept(response.json()["invite_url"])
    joined = Membership.objects.get(user__email="sa@acme.example")
    assert [s.slug for s in joined.sources.all()] == ["mine"] and joined.all_sources is False
    unknown = add(owner_api, **{**body, "email": "sb@acme.example", "sources": ["ghost"]})
    assert unknown.json()["errors"] == {"sources": ["No such source: ghost."]}


def test_the_last_owner_stays(owner_api, owner):
    membership = owner.memberships.get()
    response = owner_api.patch(f"{MEMBERS}{membership.pk}/", {"role": "member"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"role": ["A workspace needs at least one owner."]}
    assert owner_api.delete(f"{MEMBERS}{membership.pk}/").status_code == 400


def test_member_changes_are_audited(owner_api, member_user):
    membership = member_user.memberships.get()
    owner_api.patch(f"{MEMBERS}{membership.pk}/", {"role": "source_admin"}, format="json")
    entry = AuditEntry.objects.filter(action="member.update").get()
    assert entry.details["role"] == "source_admin"
    assert entry.details["email"] == member_user.email


def _accept(invite_url: str) -> None:
    from django.test import Client

    form = {"new_password1": "a-long-pass-99", "new_password2": "a-long-pass-99"}
    assert Client().post(invite_url.split("8000", 1)[-1], form).status_code == 302


def _acme_id():
    from catalog.models import Workspace

    return Workspace.objects.get(slug="acme").pk
