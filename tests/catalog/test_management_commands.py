"""createworkspace, addmember and seed_demo, as ARCHITECTURE.md describes them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from catalog.models import Function, Membership, Source, Workspace

pytestmark = pytest.mark.django_db


def run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def api_with(line: str) -> APIClient:
    assert line.startswith("token: sfi_")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {line.removeprefix('token: ')}")
    return client


def test_createworkspace_prints_a_working_owner_token_last():
    lines = run(
        "createworkspace", "acme", "--owner", "Ada@Example.com", "--password", "pw-long-42!"
    )

    me = api_with(lines[-1]).get("/api/v1/workspaces/acme/").json()
    assert me["role"] == "owner"
    membership = Membership.objects.get()
    assert membership.user.username == "ada@example.com"
    assert membership.user.check_password("pw-long-42!")


def test_createworkspace_without_password_prints_an_invite():
    lines = run("createworkspace", "acme", "--owner", "ada@example.com")
    assert any(line.startswith("invite: http") for line in lines)
    assert lines[-1].startswith("token: sfi_")


def test_createworkspace_refuses_a_taken_slug():
    run("createworkspace", "acme", "--owner", "ada@example.com")
    with pytest.raises(CommandError, match="already exists"):
        run("createworkspace", "acme", "--owner", "bob@example.com")


def test_addmember_prints_a_token_with_the_role():
    run("createworkspace", "acme", "--owner", "ada@example.com")

    lines = run("addmember", "acme", "bob@example.com", "--role", "source_admin", "--password",
                "pw-long-43!")  # fmt: skip

    api = api_with(lines[-1])
    assert api.get("/api/v1/workspaces/acme/").json()["role"] == "source_admin"
    assert api.post("/api/v1/workspaces/acme/functions/", {"name": "x"}).status_code == 403


def test_addmember_again_changes_the_role():
    run("createworkspace", "acme", "--owner", "ada@example.com")
    run("addmember", "acme", "bob@example.com", "--role", "member")
    lines = run("addmember", "acme", "bob@example.com", "--role", "owner")
    assert api_with(lines[-1]).get("/api/v1/workspaces/acme/").json()["role"] == "owner"


def test_addmember_needs_an_existing_workspace():
    with pytest.raises(CommandError, match="no workspace"):
        run("addmember", "nope", "bob@example.com", "--role", "member")


def test_seed_demo_is_idempotent(client):
    first = run("seed_demo")
    counts = [m.objects.count() for m in (Workspace, Membership, Function, Source)]

    second = run("seed_demo")

    assert first == second
    assert counts == [m.objects.count() for m in (Workspace, Membership, Function, Source)]
    assert counts == [1, 2, 1, 1]
    function = Function.objects.get()
    assert function.deployed_version.number == 1
    assert "owner@demo.example / demo-functions-2024" in "\n".join(first)
    assert client.login(username="owner@demo.example", password="demo-functions-2024")
