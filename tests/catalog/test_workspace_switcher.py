"""The workspace switcher page lists the user's workspaces with their role."""

import pytest

from tests.factories import PASSWORD, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_switcher_lists_memberships(client, owner, workspace):
    WorkspaceFactory(slug="beta", name="Beta").memberships.create(user=owner, role="member")
    WorkspaceFactory(slug="hidden", name="Hidden")
    client.login(username=owner.username, password=PASSWORD)

    page = client.get("/workspaces/").content.decode()

    assert "Acme" in page and "Workspace Owner" in page
    assert "Beta" in page and "/workspaces/beta/" in page
    assert "Hidden" not in page
