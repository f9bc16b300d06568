"""Moving a source between versions re-validates its setting values."""

import pytest

from catalog.models import AuditEntry, Source
from tests.catalog.helpers import API, API_KEY, REGION, connect, create_function, deploy

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(owner_api):
    """v1 has an optional region; v2 adds a required secret apiKey."""
    function = create_function(owner_api, settings=[REGION])
    deploy(owner_api, function["id"])
    source = connect(owner_api, function["id"], settings={"region": "eu"})
    deploy(owner_api, function["id"], settings=[REGION, API_KEY])
    return function, source


def test_upgrade_without_a_required_setting_names_it(owner_api, two_versions):
    _, source = two_versions

    response = owner_api.post(f"{API}/sources/{source['slug']}/upgrade/", {"version": 2})

    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["settings.apiKey"]
    assert "API key is required" in body["errors"]["settings.apiKey"][0]
    assert body["detail"].startswith("Setting apiKey: API key is required")
    assert Source.objects.get(pk=source["id"]).version.number == 1


def test_upgrade_with_the_setting_then_roll_back(owner_api, two_versions):
    _, source = two_versions
    url = f"{API}/sources/{source['slug']}/upgrade/"

    up = owner_api.post(url, {"version": 2, "settings": {"apiKey": "k-1"}}, format="json")

    assert up.status_code == 200, up.json()
    assert up.json()["settings"] == {"region": "eu", "apiKey": {"set": True}}
    down = owner_api.post(url, {"version": 1}, format="json")
    assert down.status_code == 200
    assert (down.json()["version"], down.json()["settings"]) == (1, {"region": "eu"})
    source_row = Source.objects.get(pk=source["id"])
    assert source_row.secret_values == {}  # v1 has no apiKey: the value went with it
    actions = list(AuditEntry.objects.values_list("action", flat=True)[:2])
    assert actions == ["source.rollback", "source.upgrade"]


def test_upgrade_to_a_version_that_does_not_exist(owner_api, two_versions):
    _, source = two_versions
    response = owner_api.post(f"{API}/sources/{source['slug']}/upgrade/", {"version": 7})
    assert response.status_code == 400
    assert response.json()["errors"] == {"version": ["This function has no version 7."]}


def test_a_wrong_type_is_refused_on_configure(owner_api, two_versions):
    _, source = two_versions
    response = owner_api.patch(
        f"{API}/sources/{source['slug']}/", {"settings": {"region": 3}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"settings.region": ["Must be a string."]}
