"""Issue 18.4: version 1 declares `apiKey` plain, version 2 encrypted; the owner sets the
secret on a source on v2; a source admin moved the source to v1, and the answer (and a
member's GET) then showed the secret in clear.

A value once stored encrypted is never stored or returned in clear: a move to a version
that declares it plain is refused with a message that says why, unless the move gives
the setting a new value or clears it (docs/catalog.md)."""

import json

import pytest
from django.db import connection

from catalog.models import Source
from tests.catalog.helpers import API, API_KEY, REGION, connect, create_function, deploy

pytestmark = pytest.mark.django_db

SECRET = "sk_live_do_not_show_51Hx"
PLAIN_KEY = {**API_KEY, "required": False, "encrypted": False}


@pytest.fixture
def source(owner_api):
    function = create_function(owner_api, settings=[PLAIN_KEY, REGION])
    deploy(owner_api, function["id"])  # v1: apiKey plain
    deploy(owner_api, function["id"], settings=[API_KEY, REGION])  # v2: encrypted
    created = connect(owner_api, function["id"], settings={"apiKey": SECRET, "region": "eu"})
    assert created["version"] == 2 and created["settings"]["apiKey"] == {"set": True}
    return created


@pytest.fixture
def admin_api(source_admin, workspace, api_client_for):
    return api_client_for(source_admin, workspace)


@pytest.fixture
def member_api(member_user, workspace, api_client_for):
    return api_client_for(member_user, workspace)


def upgrade(api, source, **body):
    return api.post(f"{API}/sources/{source['slug']}/upgrade/", body, format="json")


def stored_anywhere_in_clear(secret: str) -> bool:
    """Whether the secret is in any column of the source table as plain text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting_values FROM catalog_source")
        return any(secret in json.dumps(row) for row in cursor.fetchall())


def test_moving_to_a_version_that_declares_the_secret_plain_is_refused(
    source, admin_api, member_api
):
    response = upgrade(admin_api, source, version=1)

    assert response.status_code == 400
    message = response.json()["errors"]["settings.apiKey"][0]
    assert "secret (encrypted) setting of version 2 and a plain one of version 1" in message
    assert "new value" in message and "null" in message
    assert SECRET not in response.content.decode()
    after = member_api.get(f"{API}/sources/{source['slug']}/").json()
    assert after["version"] == 2 and after["settings"]["apiKey"] == {"set": True}
    assert SECRET not in json.dumps(after)
    assert Source.objects.get(slug=source["slug"]).secret_values == {"apiKey": SECRET}
    assert not stored_anywhere_in_clear(SECRET)


def test_sending_back_how_the_secret_shows_is_still_refused(source, admin_api):
    response = upgrade(admin_api, source, version=1, settings={"apiKey": {"set": True}})
    assert response.status_code == 400 and "settings.apiKey" in response.json()["errors"]


def test_the_move_drops_the_secret_when_asked_to(source, admin_api, member_api):
    response = upgrade(admin_api, source, version=1, settings={"apiKey": None})

    assert response.status_code == 200
    moved = member_api.get(f"{API}/sources/{source['slug']}/").json()
    assert moved["version"] == 1 and "apiKey" not in moved["settings"]
    assert moved["settings"]["region"] == "eu"  # the rest is kept
    stored = Source.objects.get(slug=source["slug"])
    assert stored.secret_values == {} and "apiKey" not in stored.setting_values
    assert not stored_anywhere_in_clear(SECRET)


def test_the_move_takes_a_new_plain_value_instead(source, admin_api):
    response = upgrade(admin_api, source, version=1, settings={"apiKey": "pk_test_public"})

    assert response.status_code == 200
    assert response.json()["settings"]["apiKey"] == "pk_test_public"
    assert Source.objects.get(slug=source["slug"]).secret_values == {}
    assert not stored_anywhere_in_clear(SECRET)


def test_moving_back_up_keeps_the_secret_encrypted(source, admin_api, owner_api):
    upgrade(admin_api, source, version=1, settings={"apiKey": "pk_test_public"})
    response = upgrade(admin_api, source, version=2, settings={"apiKey": SECRET})
    assert response.status_code == 200 and response.json()["settings"]["apiKey"] == {"set": True}
    assert not stored_anywhere_in_clear(SECRET)


def test_a_following_source_is_held_rather_than_revealed(source, owner_api, admin_api):
    admin_api.patch(f"{API}/sources/{source['slug']}/", {"follow_deployed": True}, format="json")
    deployment = deploy(owner_api, source["function"]["id"], settings=[PLAIN_KEY, REGION])

    assert deployment["version"]["number"] == 3
    assert [s["slug"] for s in deployment["held_sources"]] == [source["slug"]]
    assert deployment["moved_sources"] == []
    held = Source.objects.get(slug=source["slug"])
    assert held.version.number == 2 and held.secret_values == {"apiKey": SECRET}
    assert not stored_anywhere_in_clear(SECRET)


def test_a_test_secret_is_dropped_when_the_draft_declares_it_plain(owner_api, member_api):
    function = create_function(owner_api, settings=[API_KEY])
    path = f"{API}/functions/{function['id']}/"
    owner_api.patch(path + "test-settings/", {"settings": {"apiKey": SECRET}}, format="json")
    owner_api.patch(path, {"settings": [PLAIN_KEY]}, format="json")

    answer = owner_api.patch(path + "test-settings/", {"settings": {}}, format="json")

    assert answer.status_code == 200 and "apiKey" not in answer.json()["test_settings"]
    assert SECRET not in json.dumps(member_api.get(path).json())
    with connection.cursor() as cursor:
        cursor.execute("SELECT test_values FROM catalog_function")
        assert not any(SECRET in json.dumps(row) for row in cursor.fetchall())
