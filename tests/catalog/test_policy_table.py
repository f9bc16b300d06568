"""The table of catalog.policy: every Action has a rule and its one refusal, and each
Action answers each role (owner, source admin of every source, of chosen sources with
and without the source at hand, member, outsider) as docs/catalog.md says, both when
asked (policy.allows) and through the REST API that enforces it."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from catalog import policy
from catalog.models import Role
from catalog.policy import RULES, Action
from catalog.services import token_create
from ingest.models import Capture, Destination
from tests.factories import SourceFactory, WorkspaceFactory, deployed_function, member

pytestmark = pytest.mark.django_db

OWNER, ADMIN, CHOSEN, NOT_CHOSEN = "owner", "source_admin", "admin_of_it", "admin_of_another"
MEMBER, OUTSIDER = "member", "outsider"
ROLES = [OWNER, ADMIN, CHOSEN, NOT_CHOSEN, MEMBER, OUTSIDER]
TESTERS = {OWNER, ADMIN, CHOSEN, NOT_CHOSEN}
MANAGERS = {OWNER, ADMIN, CHOSEN}  # of the source at hand
MEMBERS = {OWNER, ADMIN, CHOSEN, NOT_CHOSEN, MEMBER}

# The matrix of docs/catalog.md, written out again: who may, per Action.
EXPECTED = {
    Action.EDIT_FUNCTIONS: {OWNER},
    Action.TEST_FUNCTIONS: TESTERS,
    Action.RUN_OWN_CODE: {OWNER},
    Action.CHANGE_TEST_WEBHOOK: TESTERS,
    Action.CREATE_SOURCES: TESTERS,
    Action.MANAGE_SOURCE: MANAGERS,
    Action.READ_SOURCE_LOGS: MEMBERS,
    Action.REPLAY: MANAGERS,
    Action.MANAGE_MEMBERS: {OWNER},
    Action.MANAGE_ALL_TOKENS: {OWNER},
    Action.READ_AUDIT: {OWNER},
    Action.SEE_WEBHOOK_URL: MANAGERS,
    Action.SEE_CATCHER_URL: TESTERS,
    Action.SEE_CREDENTIALS: {OWNER},
    Action.MANAGE_DESTINATIONS: {OWNER},
}
# A refusal says the first rule the request fails: own code is a Run first.
CHECKED_FIRST = {Action.RUN_OWN_CODE: Action.TEST_FUNCTIONS}
SECRET_HEADER = "Bearer sk_live_sender"


# --- the table itself -----------------------------------------------------------------


def test_every_action_has_a_rule_and_one_refusal_of_its_own():
    assert set(RULES) == set(Action)
    for action, rule in RULES.items():
        assert callable(rule.check), action
        assert rule.refusal.strip().endswith("."), action
    refusals = [rule.refusal for rule in RULES.values()]
    assert len(set(refusals)) == len(refusals), "two rules refuse with the same words"


def test_every_action_is_in_the_documented_matrix():
    assert set(EXPECTED) == set(Action)
    matrix = (Path(__file__).parents[2] / "docs" / "catalog.md").read_text()
    missing = [action.name for action in Action if f"`{action.name}`" not in matrix]
    assert not missing, f"docs/catalog.md does not name {missing}"


def test_a_rule_about_a_source_needs_one_and_the_others_take_none(world):
    membership = world["users"][OWNER].memberships.get()
    with pytest.raises(TypeError, match="MANAGE_SOURCE needs the source"):
        policy.allows(membership, Action.MANAGE_SOURCE)
    with pytest.raises(TypeError, match="EDIT_FUNCTIONS takes no target"):
        policy.allows(membership, Action.EDIT_FUNCTIONS, world["source"])


def test_require_raises_the_refusal_of_the_rule(world):
    membership = world["users"][MEMBER].memberships.get()
    with pytest.raises(PermissionDenied) as refused:
        policy.require(membership, Action.READ_AUDIT)
    assert str(refused.value) == RULES[Action.READ_AUDIT].refusal
    policy.require(membership, Action.READ_SOURCE_LOGS, world["source"])  # allowed: no error


# --- each Action × role ---------------------------------------------------------------


def _source(workspace):
    return SourceFactory(function=deployed_function(workspace=workspace), slug="orders-in")


@pytest.fixture
def world(world_rows, db, empty_test_runs):
    return world_rows


@pytest.fixture(scope="module")
def world_rows(module_db):
    """Made once for the module (tests/conftest.py module_db), each test's writes rolled
    back; the workspace instance caches the memberships, which no test here changes."""
    workspace = WorkspaceFactory(slug="acme", name="Acme")
    owner = member(workspace, Role.OWNER, "owner@acme.example")
    source = _source(workspace)
    another = SourceFactory(function=source.function, slug="another")
    users = {
        OWNER: owner,
        ADMIN: member(workspace, Role.SOURCE_ADMIN),
        CHOSEN: member(workspace, Role.SOURCE_ADMIN, all_sources=False),
        NOT_CHOSEN: member(workspace, Role.SOURCE_ADMIN, all_sources=False),
        MEMBER: member(workspace, Role.MEMBER),
        OUTSIDER: member(WorkspaceFactory(slug="other"), Role.OWNER),
    }
    users[CHOSEN].memberships.get().sources.add(source)
    users[NOT_CHOSEN].memberships.get().sources.add(another)
    capture = Capture.objects.create(
        function=source.function,
        method="POST",
        path="/hooks/test/x",
        headers={"Authorization": SECRET_HEADER},
        raw_body=b"{}",
    )
    holder = member(workspace, Role.MEMBER, "holder@acme.example")
    token_create(workspace=workspace, user=holder, name="theirs")  # nobody's above but theirs
    destination = Destination.objects.create(workspace=workspace, name="Warehouse", kind="duckdb")
    return {
        "workspace": workspace,
        "source": source,
        "users": users,
        "capture": capture,
        "destination": destination,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_allows_answers_each_role_as_the_matrix_says(world, action, role):
    user = world["users"][role]
    source = world["source"]
    target = source if RULES[action].about_a_source else None

    allowed = policy.allows(policy.membership_of(user, world["workspace"]), action, target)

    assert allowed == (role in EXPECTED[action])


def test_a_member_of_another_workspace_is_no_one_for_its_sources(world):
    outsider = world["users"][OUTSIDER].memberships.get()  # an owner, of the other workspace
    for action, rule in RULES.items():
        if rule.about_a_source:
            assert not policy.allows(outsider, action, world["source"]), action


API = "/api/v1/workspaces/acme"


def _function(world) -> str:
    return f"{API}/functions/{world['source'].function_id}"


def _run(client, world, **body):
    request = {"method": "POST", "url": "https://example.com/", "headers": {}, "body": {}}
    return client.post(f"{_function(world)}/test/", {"request": request, **body}, format="json")


def _succeeded(response) -> bool:
    return response.status_code in (200, 201, 204)


# Per Action: a request that needs it, and whether its answer says the rule allowed it.
# Actions that refuse answer 403 when not allowed; those that show or hide answer 200.
PROBES = {
    Action.EDIT_FUNCTIONS: (
        lambda c, w: c.patch(f"{_function(w)}/", {"description": "d"}, format="json"),
        _succeeded,
    ),
    Action.TEST_FUNCTIONS: (_run, _succeeded),
    Action.RUN_OWN_CODE: (lambda c, w: _run(c, w, code="// mine"), _succeeded),
    Action.CHANGE_TEST_WEBHOOK: (
        lambda c, w: c.post(f"{_function(w)}/catcher/rotate/"),
        _succeeded,
    ),
    Action.CREATE_SOURCES: (
        lambda c, w: c.post(
            f"{API}/sources/", {"name": "New", "function": w["source"].function_id}, format="json"
        ),
        _succeeded,
    ),
    Action.MANAGE_SOURCE: (
        lambda c, w: c.patch(f"{API}/sources/orders-in/", {"enabled": False}, format="json"),
        _succeeded,
    ),
    Action.READ_SOURCE_LOGS: (lambda c, w: c.get(f"{API}/sources/orders-in/logs/"), _succeeded),
    Action.REPLAY: (
        lambda c, w: c.post(
            f"{API}/sources/orders-in/dead-letters/replay/", {"all": True}, format="json"
        ),
        _succeeded,
    ),
    Action.MANAGE_MEMBERS: (lambda c, w: c.get(f"{API}/invitations/"), _succeeded),
    Action.MANAGE_ALL_TOKENS: (
        lambda c, w: c.get(f"{API}/tokens/"),
        lambda r: "theirs" in {t["name"] for t in r.json()["results"]},
    ),
    Action.READ_AUDIT: (lambda c, w: c.get(f"{API}/audit/"), _succeeded),
    Action.SEE_WEBHOOK_URL: (
        lambda c, w: c.get(f"{API}/sources/orders-in/"),
        lambda r: r.json()["webhook_url"] is not None,
    ),
    Action.SEE_CATCHER_URL: (
        lambda c, w: c.get(f"{_function(w)}/catcher/"),
        lambda r: r.json()["url"] is not None,
    ),
    Action.SEE_CREDENTIALS: (
        lambda c, w: c.get(f"{_function(w)}/captures/{w['capture'].pk}/"),
        lambda r: r.json()["headers"]["Authorization"] == SECRET_HEADER,
    ),
    Action.MANAGE_DESTINATIONS: (
        lambda c, w: c.post(
            f"{API}/destinations/{w['destination'].pk}/dead-letters/replay/",
            {"all": True},
            format="json",
        ),
        _succeeded,
    ),
}
SHOWN_OR_HIDDEN = {
    Action.MANAGE_ALL_TOKENS,
    Action.SEE_WEBHOOK_URL,
    Action.SEE_CATCHER_URL,
    Action.SEE_CREDENTIALS,
}


def test_every_action_has_a_probe():
    assert set(PROBES) == set(Action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_the_api_answers_each_role_as_the_matrix_says(world, action, role):
    client = APIClient()
    client.force_authenticate(world["users"][role])
    probe, allowed = PROBES[action]

    response = probe(client, world)

    if role == OUTSIDER:
        assert response.status_code == 404, response.content[:300]
    elif action in SHOWN_OR_HIDDEN:
        assert response.status_code == 200, response.content[:300]
        assert allowed(response) == (role in EXPECTED[action])
    elif role in EXPECTED[action]:
        assert allowed(response), response.content[:300]
    else:
        assert response.status_code == 403, response.content[:300]
        first = CHECKED_FIRST.get(action)
        refused_by = first if first and role not in EXPECTED[first] else action
        assert response.json()["detail"] == RULES[refused_by].refusal
