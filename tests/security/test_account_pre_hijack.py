"""Issue 18.1, account pre-hijack: the owner of workspace A invites cfo@newhire.example,
opens the invite link and sets a password of their choosing, then removes the
membership. Later the owner of workspace B adds the same email as `owner`: the answer
was 201 with `invited: false`, and A's owner then logged in as that user and owned B.

Adding an email now always makes an invitation: nothing is granted until the account
holder accepts it with the invite link (logged in, or giving the account's existing
password on the link's page, which never sets one). The answer is the same whether the
email has an account or not. All through the HTTP pages and the API."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Membership
from tests.factories import PASSWORD, WorkspaceFactory, bearer, member

pytestmark = pytest.mark.django_db

CFO = "cfo@newhire.example"
ATTACKERS_CHOICE = "chosen by the attacker 7"
CFO_PASSWORD = "the real cfo's password 9"


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def api_of(user, workspace) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=bearer(user, workspace))
    return api


def invite(api, ws: str, email: str, role: str):
    body = {"email": email, "role": role}
    return api.post(f"/api/v1/workspaces/{ws}/members/", body, format="json")


def logged_in(email: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": email, "password": password})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def pre_hijacked():
    """A's owner holds cfo@newhire.example, with a password they chose, and no trace."""
    a = WorkspaceFactory(slug="a-corp")
    a_owner = member(a, "owner", "owner@a-corp.example")
    a_api = api_of(a_owner, a)
    link = invite(a_api, "a-corp", CFO, "member").json()["invite_url"]
    form = {"new_password1": ATTACKERS_CHOICE, "new_password2": ATTACKERS_CHOICE}
    assert Client().post(path_of(link), form).status_code == 302
    membership = Membership.objects.get(workspace=a, user__email=CFO)
    assert a_api.delete(f"/api/v1/workspaces/a-corp/members/{membership.pk}/").status_code == 204
    b = WorkspaceFactory(slug="b-corp", name="B Corp")
    b_owner = member(b, "owner", "owner@b-corp.example")
    return api_of(b_owner, b)


def test_adding_a_held_email_as_owner_grants_the_holder_nothing(pre_hijacked):
    added = invite(pre_hijacked, "b-corp", CFO, "owner")
    assert added.status_code == 201 and added.json()["invited"] is True

    attacker = logged_in(CFO, ATTACKERS_CHOICE)

    assert attacker.get("/api/v1/workspaces/").json()["results"] == []
    assert attacker.get("/api/v1/workspaces/b-corp/").status_code == 404
    assert attacker.get("/api/v1/workspaces/b-corp/members/").status_code == 404
    assert attacker.get("/workspaces/b-corp/functions/").status_code == 404
    assert not Membership.objects.filter(workspace__slug="b-corp", user__email=CFO).exists()
    # Seeing that an invitation waits is not accepting it: that takes the link.
    waiting = attacker.get("/api/v1/invitations/").json()["results"]
    assert [(i["workspace"], i["role"]) for i in waiting] == [("b-corp", "owner")]
    guess = attacker.post("/api/v1/invitations/accept/", {"link": "guessed-token"})
    assert guess.status_code == 404
    assert attacker.get("/api/v1/workspaces/b-corp/").status_code == 404


def test_the_link_asks_for_the_existing_password_and_never_sets_one(pre_hijacked):
    link = path_of(invite(pre_hijacked, "b-corp", CFO, "owner").json()["invite_url"])
    real_cfo = Client()

    page = real_cfo.get(link)
    assert page.status_code == 200
    assert b"new_password1" not in page.content and b"already has an account" in page.content

    form = {"new_password1": CFO_PASSWORD, "new_password2": CFO_PASSWORD, "password": ""}
    refused = real_cfo.post(link, form)

    assert refused.status_code == 200 and b"not the password" in refused.content
    cfo = get_user_model().objects.get(email=CFO)
    assert cfo.check_password(ATTACKERS_CHOICE) and not cfo.check_password(CFO_PASSWORD)
    assert "_auth_user_id" not in real_cfo.session
    assert not Membership.objects.filter(workspace__slug="b-corp", user=cfo).exists()


def test_the_answer_does_not_tell_whether_the_email_has_an_account(pre_hijacked):
    held = invite(pre_hijacked, "b-corp", CFO, "owner")
    fresh = invite(pre_hijacked, "b-corp", "nobody-yet@newhire.example", "owner")

    assert held.status_code == fresh.status_code == 201
    held, fresh = held.json(), fresh.json()
    assert set(held) == set(fresh)
    differ = {"id", "email", "invite_url", "created_at", "expires_at"}
    assert {k: v for k, v in held.items() if k not in differ} == {
        k: v for k, v in fresh.items() if k not in differ
    }
    assert held["invite_url"] and fresh["invite_url"]
    # Nor does the owners' list of invitations, nor the audit log.
    listed = pre_hijacked.get("/api/v1/workspaces/b-corp/invitations/").json()["results"]
    assert sorted(i["email"] for i in listed) == sorted([CFO, "nobody-yet@newhire.example"])
    assert {frozenset(i) for i in listed} == {frozenset(held) - {"invite_url"}}
    audit = pre_hijacked.get("/api/v1/workspaces/b-corp/audit/").json()["results"]
    invites = [e["details"] for e in audit if e["action"] == "member.invite"]
    assert len(invites) == 2 and all(set(d) == {"email", "role"} for d in invites)


# --- the account holder accepts ------------------------------------------------------


@pytest.fixture
def existing_account():
    """ada@example.com has an account (a member of workspace A); B's owner invites her."""
    a = WorkspaceFactory(slug="a-corp")
    ada = member(a, "member", "ada@example.com")
    b = WorkspaceFactory(slug="b-corp", name="B Corp")
    b_api = api_of(member(b, "owner", "owner@b-corp.example"), b)
    link = invite(b_api, "b-corp", ada.email, "source_admin").json()["invite_url"]
    return ada, link, b_api


def test_logged_in_the_holder_accepts_from_the_link(existing_account):
    ada, link, _ = existing_account
    client = logged_in(ada.email, PASSWORD)
    assert client.get("/api/v1/workspaces/b-corp/").status_code == 404  # not before

    waiting = client.get("/workspaces/").content.decode()
    assert "B Corp" in waiting and "Decline" in waiting  # on the workspace switcher
    page = client.get(path_of(link))
    assert page.status_code == 200 and b"Join B Corp" in page.content
    assert b'name="password"' not in page.content
    joined = client.post(path_of(link))

    assert joined.status_code == 302 and joined["Location"] == "/workspaces/b-corp/"
    assert client.get("/api/v1/workspaces/b-corp/").json()["role"] == "source_admin"
    assert client.get(path_of(link)).status_code == 404  # used up
    assert client.get("/api/v1/invitations/").json()["results"] == []


def test_logged_in_the_holder_accepts_through_the_api(existing_account):
    ada, link, _ = existing_account
    client = logged_in(ada.email, PASSWORD)
    accepted = client.post(
        "/api/v1/invitations/accept/", {"link": link}, content_type="application/json"
    )
    assert accepted.status_code == 200
    assert accepted.json() == {"slug": "b-corp", "name": "B Corp", "role": "source_admin",
                               "all_sources": True, "user": ada.email}  # fmt: skip
    assert client.get("/api/v1/workspaces/b-corp/").status_code == 200


def test_by_the_link_the_holder_gives_their_existing_password(existing_account):
    ada, link, _ = existing_account
    client = Client()
    wrong = client.post(path_of(link), {"password": "not hers"})
    assert wrong.status_code == 200 and b"not the password" in wrong.content
    assert not Membership.objects.filter(workspace__slug="b-corp", user=ada).exists()

    joined = client.post(path_of(link), {"password": PASSWORD})

    assert joined.status_code == 302 and joined["Location"] == "/workspaces/b-corp/"
    assert client.get("/api/v1/workspaces/b-corp/").json()["role"] == "source_admin"
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)  # unchanged


def test_another_logged_in_account_cannot_use_the_link(existing_account):
    _, link, _ = existing_account
    other = member(WorkspaceFactory(slug="c-corp"), "owner", "other@example.com")
    client = logged_in(other.email, PASSWORD)
    assert b"Log out, then open this link again" in client.get(path_of(link)).content
    assert client.post(path_of(link)).status_code == 403
    api = client.post(
        "/api/v1/invitations/accept/", {"link": link}, content_type="application/json"
    )
    assert api.status_code == 404
    assert not Membership.objects.filter(workspace__slug="b-corp", user=other).exists()


def test_a_token_of_the_account_cannot_accept(existing_account):
    ada, link, _ = existing_account
    api = api_of(ada, ada.memberships.get().workspace)
    assert api.post("/api/v1/invitations/accept/", {"link": link}, format="json").status_code == 404
    assert api.get("/api/v1/invitations/").json()["results"] == []


def test_the_holder_declines_and_the_owner_withdraws(existing_account):
    ada, link, b_api = existing_account
    client = logged_in(ada.email, PASSWORD)
    [waiting] = client.get("/api/v1/invitations/").json()["results"]
    assert client.delete(f"/api/v1/invitations/{waiting['id']}/").status_code == 204
    assert client.get(path_of(link)).status_code == 404
    assert b_api.get("/api/v1/workspaces/b-corp/invitations/").json()["results"] == []

    again = invite(b_api, "b-corp", ada.email, "member").json()
    assert b_api.delete(f"/api/v1/workspaces/b-corp/invitations/{again['id']}/").status_code == 204
    assert client.get(path_of(again["invite_url"])).status_code == 404


def test_an_operator_still_adds_directly():
    """`manage.py addmember` (ARCHITECTURE.md): whoever runs it vouches for the account."""
    from io import StringIO

    from django.core.management import call_command

    ops = WorkspaceFactory(slug="ops")
    member(ops, "owner", "ops-owner@example.com")
    existing = member(WorkspaceFactory(slug="elsewhere"), "member", "known@example.com")
    out = StringIO()
    call_command("addmember", "ops", existing.email, "--role", "member", stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("token: sfi_")
    assert Membership.objects.filter(workspace=ops, user=existing, role="member").exists()
