"""A refused form says what is wrong in words, every field at once: the connect form's
missing name and settings in one answer, and `detail` naming each field as a user reads
it ("Name of setting 2: …"), never "Please correct: settings[1].name"."""

import pytest

from catalog.api.base import field_in_words
from tests.catalog.helpers import API, API_KEY, REGION, connect, create_function, deploy

pytestmark = pytest.mark.django_db

TOKEN = {**API_KEY, "name": "token", "label": "Token", "encrypted": False}


@pytest.fixture
def deployed(owner_api):
    function = create_function(owner_api, settings=[API_KEY, TOKEN, REGION])
    deploy(owner_api, function["id"])
    return function


def test_connect_reports_every_missing_field_at_once(owner_api, deployed):
    response = owner_api.post(
        f"{API}/sources/", {"function": deployed["id"], "name": "  "}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {
        "name": ["A source needs a name."],
        "settings.apiKey": ["API key is required by this version; set a value."],
        "settings.token": ["Token is required by this version; set a value."],
    }
    assert body["detail"] == (
        "Name: A source needs a name. "
        "Setting apiKey: API key is required by this version; set a value. "
        "Setting token: Token is required by this version; set a value."
    )


def test_a_name_left_out_is_reported_with_the_settings(owner_api, deployed):
    response = owner_api.post(
        f"{API}/sources/", {"function": deployed["id"], "settings": {"apiKey": "k"}}, format="json"
    )
    assert set(response.json()["errors"]) == {"name", "settings.token"}


def test_configuring_a_source_reports_every_field_at_once(owner_api, deployed):
    source = connect(owner_api, deployed["id"], settings={"apiKey": "k", "token": "t"})
    response = owner_api.patch(
        f"{API}/sources/{source['slug']}/",
        {"name": "", "settings": {"token": None, "nope": "x"}},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "settings.token", "settings.nope"}


def test_past_three_fields_detail_points_to_errors(owner_api):
    bad = [{"name": f"bad name {n}"} for n in range(5)]
    response = owner_api.post(f"{API}/functions/", {"name": "X", "settings": bad}, format="json")
    detail = response.json()["detail"]
    assert detail.startswith("Name of setting 1: Must be a JavaScript identifier")
    assert detail.endswith("And 2 more fields: see 'errors'.")
    assert "settings[" not in detail and "Please correct" not in detail


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("name", "name"),
        ("settings[1].name", "name of setting 2"),
        ("settings.apiKey", "setting apiKey"),
        ("retry_policy.first_delay_s", "first delay s of retry policy"),
        ("time_limit_ms", "time limit ms"),
        ("non_field_errors", ""),
    ],
)
def test_a_field_in_words(field, words):
    assert field_in_words(field) == words
