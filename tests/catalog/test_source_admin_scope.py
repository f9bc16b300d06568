"""A source admin of chosen sources manages those (and those they connect) only;
every member reads every source and its logs."""

import pytest
from rest_framework.test import APIClient

from catalog import policy
from catalog.models import Role
from catalog.policy import Action
from tests.factories import SourceFactory, deployed_function, member

pytestmark = pytest.mark.django_db

API = "/api/v1/workspaces/acme"


def may(user, action: Action, source) -> bool:
    return policy.allows(policy.membership_of(user, source.workspace), action, source)


@pytest.fixture
def scoped(workspace):
    function = deployed_function(workspace=workspace)
    mine = SourceFactory(function=function, slug="mine")
    theirs = SourceFactory(function=function, slug="theirs")
    admin = member(workspace, Role.SOURCE_ADMIN, all_sources=False)
    admin.memberships.get().sources.add(mine)
    client = APIClient()
    client.force_authenticate(admin)
    return admin, client, function, mine, theirs


def test_manages_only_chosen_sources(scoped):
    admin, client, _, mine, theirs = scoped
    assert client.patch(f"{API}/sources/mine/", {"enabled": False}).status_code == 200
    assert client.patch(f"{API}/sources/theirs/", {"enabled": False}).status_code == 403
    assert client.get(f"{API}/sources/theirs/").status_code == 200
    assert may(admin, Action.REPLAY, mine) and not may(admin, Action.REPLAY, theirs)
    assert may(admin, Action.READ_SOURCE_LOGS, theirs)


def test_a_source_they_connect_becomes_theirs(scoped):
    admin, client, function, _, _ = scoped
    response = client.post(f"{API}/sources/", {"name": "New", "function": function.pk})
    assert response.status_code == 201
    assert client.post(f"{API}/sources/new/rotate-token/").status_code == 200


def test_outsiders_and_members_by_the_helpers(scoped, member_user, outsider):
    _, _, _, mine, _ = scoped
    assert may(member_user, Action.READ_SOURCE_LOGS, mine)
    assert not may(member_user, Action.REPLAY, mine)
    assert not may(outsider, Action.READ_SOURCE_LOGS, mine)
