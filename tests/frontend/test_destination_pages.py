"""The Destinations page and the source page's Destinations section: who sees them, and
which controls each role gets (the API refuses the rest anyway)."""

import json
import re

import pytest

from catalog.models import Role
from ingest.models import Destination
from tests.factories import PASSWORD, SourceFactory, deployed_function, member

pytestmark = pytest.mark.django_db

PAGE = "/workspaces/acme/destinations/"


@pytest.fixture
def source(workspace):
    function = deployed_function(workspace=workspace, name="Stripe", slug="stripe")
    return SourceFactory(function=function, slug="stripe-live", name="Stripe live")


@pytest.fixture
def hook(workspace):
    # Made with the ORM: the page only lists it (through the API, from the browser).
    return Destination.objects.create(
        workspace=workspace, name="Hook", kind="webhook",
        config={"url": "https://hooks.example.com/in"}, credentials={"secret": "s" * 20},
    )  # fmt: skip


def html(client, user, path) -> str:
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def page_data(text: str, name: str) -> dict:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


@pytest.mark.parametrize("role", ["owner", "source_admin", "member_user"])
def test_the_navigation_links_the_destinations_page(client, request, source, role):
    text = html(client, request.getfixturevalue(role), "/workspaces/acme/sources/")
    assert f'href="{PAGE}"' in text
    assert 'aria-current="page">Destinations<' in html(client, request.getfixturevalue(role), PAGE)


def test_owners_get_the_create_form_and_the_controls(client, owner, hook):
    text = html(client, owner, PAGE)
    assert 'id="create-form"' in text and 'id="secret-once"' in text
    assert 'id="read-only"' not in text
    data = page_data(text, "destinations-data")
    assert data["can_manage"] is True
    assert data["workspace"] == "acme"


@pytest.mark.parametrize("role", ["source_admin", "member_user"])
def test_others_see_the_list_read_only(client, request, hook, role):
    text = html(client, request.getfixturevalue(role), PAGE)
    assert 'id="create-form"' not in text and 'id="secret-once"' not in text
    assert 'id="read-only"' in text
    assert page_data(text, "destinations-data")["can_manage"] is False


def test_the_page_never_carries_credentials(client, owner, hook):
    assert "s" * 20 not in html(client, owner, PAGE)


def test_the_forms_ask_what_the_service_requires(client, owner, source):
    data = page_data(html(client, owner, PAGE), "destinations-data")
    kinds = {k["value"]: k for k in data["kinds"]}
    assert set(kinds) == {"segment", "webhook", "postgres", "duckdb"}
    assert kinds["webhook"]["config"] == [{"name": "url", "required": True}]
    assert kinds["webhook"]["credentials"] == [{"name": "secret", "required": False}]
    assert kinds["postgres"]["credentials"] == [{"name": "dsn", "required": True}]
    assert kinds["duckdb"]["config"] == [] and kinds["duckdb"]["credentials"] == []
    assert {p["value"] for p in data["presets"]} == {"segment", "rudderstack", "jitsu", "custom"}
    assert [value for value, _ in data["messages"]] == ["all", "events", "objects"]
    # The DuckDB hint names the workspace's file and one of its sources.
    assert data["warehouse_path"].endswith("acme.duckdb")
    assert data["example_source"] == "stripe-live"


def test_the_warehouse_file_is_shown_as_typed_in_the_project_folder(client, owner, settings):
    settings.WAREHOUSE_DIR = settings.BASE_DIR / ".local" / "warehouses"
    data = page_data(html(client, owner, PAGE), "destinations-data")
    assert data["warehouse_path"] == ".local/warehouses/acme.duckdb"


def test_destinations_page_of_another_workspace_is_404(client, outsider, hook):
    assert client.login(username=outsider.username, password=PASSWORD)
    assert client.get(PAGE).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, workspace):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={PAGE}"


def test_who_manages_the_source_chooses_where_it_sends(client, owner, source_admin, source):
    for user in (owner, source_admin):
        text = html(client, user, "/workspaces/acme/sources/stripe-live/")
        assert 'id="source-destinations"' in text and 'id="routing-form"' in text
        kinds = page_data(text, "source-data")["destination_kinds"]
        assert kinds["webhook"] == "Signed webhook"


def test_members_see_where_a_source_sends_without_the_choice(client, member_user, source):
    text = html(client, member_user, "/workspaces/acme/sources/stripe-live/")
    assert 'id="source-destinations"' in text and 'id="receiving"' in text
    assert 'id="routing-form"' not in text


def test_a_source_admin_of_other_sources_gets_no_choice(client, workspace, source):
    scoped = member(workspace, Role.SOURCE_ADMIN, all_sources=False)
    text = html(client, scoped, "/workspaces/acme/sources/stripe-live/")
    assert 'id="source-destinations"' in text
    assert 'id="routing-form"' not in text


def test_the_live_debugger_has_a_deliveries_column(client, member_user, source):
    text = html(client, member_user, "/workspaces/acme/sources/stripe-live/")
    assert '<th scope="col">Deliveries</th>' in text
