"""Saved tests through the REST API: create, list, change, delete; who may; secrets are
references, never copies; another workspace's tests are a 404; running them all."""

import pytest

from catalog.models import SavedTest
from tests.catalog.helpers import API, API_KEY, REGION, create_function
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

REQUEST = {
    "method": "POST",
    "url": "https://example.com/hook",
    "headers": {"Stripe-Signature": "t=1,v1=abc", "Content-Type": "application/json"},
    "rawBody": '{"type":"charge.succeeded","amount":2000}',
}
CODE = """
async function onRequest(request, settings) {
  const body = request.json();
  if (!settings.apiKey) throw new ValidationError('no api key');
  Segment.track({ event: body.type, userId: 'u1', properties: { amount: body.amount / 100,
                  region: settings.region } });
}
"""
CASE = {
    "name": "charge succeeded",
    "request": REQUEST,
    "settings": {"region": "eu"},
    "secret_settings": ["apiKey"],
    "expect": {"events": [{"event": "charge.succeeded", "properties": {"amount": 20}}]},
}


@pytest.fixture
def function(owner_api):
    function = create_function(owner_api, code=CODE, settings=[REGION, API_KEY])
    owner_api.patch(
        f"{API}/functions/{function['id']}/test-settings/",
        {"settings": {"apiKey": "sk-live-very-secret"}},
        format="json",
    )
    return function


def url_of(function, suffix=""):
    return f"{API}/functions/{function['id']}/tests/{suffix}"


def test_an_owner_saves_a_test_with_the_exact_body_and_a_secret_reference(owner_api, function):
    response = owner_api.post(url_of(function), CASE, format="json")
    assert response.status_code == 201, response.json()
    saved = response.json()
    assert saved["request"] == REQUEST  # the raw body exactly as given
    assert saved["settings"] == {"region": "eu"} and saved["secret_settings"] == ["apiKey"]
    stored = SavedTest.objects.get(pk=saved["id"])
    assert "sk-live-very-secret" not in str(stored.__dict__)

    listed = owner_api.get(url_of(function)).json()
    assert [t["name"] for t in listed["results"]] == ["charge succeeded"]


def test_a_secret_value_in_a_test_is_refused(owner_api, function):
    case = {**CASE, "settings": {"apiKey": "sk-copied"}, "secret_settings": []}
    response = owner_api.post(url_of(function), case, format="json")
    assert response.status_code == 400
    assert "secret setting" in response.json()["errors"]["settings"][0]
    not_secret = owner_api.post(
        url_of(function), {**CASE, "secret_settings": ["region"]}, format="json"
    )
    assert "not an encrypted setting" in not_secret.json()["errors"]["secret_settings"][0]


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"name": " "}, "name", "may not be blank"),
        ({"request": {"url": "nope"}}, "request", "absolute http(s) URL"),
        ({"expect": {"events": [], "error": {"name": "E"}}}, "expect", "emits nothing"),
        ({"expect": {"evnets": []}}, "expect", 'unknown field "evnets"'),
    ],
)
def test_a_malformed_test_says_which_field(owner_api, function, change, field, says):
    response = owner_api.post(url_of(function), {**CASE, **change}, format="json")
    assert response.status_code == 400
    assert says in " ".join(response.json()["errors"][field])


def test_names_are_unique_per_function(owner_api, function):
    owner_api.post(url_of(function), CASE, format="json")
    again = owner_api.post(url_of(function), CASE, format="json")
    assert again.status_code == 400 and "already has a test" in again.json()["errors"]["name"][0]


def test_update_and_delete(owner_api, function):
    saved = owner_api.post(url_of(function), CASE, format="json").json()
    url = url_of(function, f"{saved['id']}/")
    changed = owner_api.patch(url, {"expect": {"error": {"name": "TypeError"}}}, format="json")
    assert changed.status_code == 200 and changed.json()["expect"] == {
        "error": {"name": "TypeError"}
    }
    assert owner_api.delete(url).status_code == 204
    assert owner_api.get(url).status_code == 404


def test_members_read_tests_with_credential_headers_masked_but_may_not_change_them(
    owner_api, function, workspace, source_admin, member_user, api_client_for
):
    saved = owner_api.post(url_of(function), CASE, format="json").json()
    url = url_of(function, f"{saved['id']}/")
    for user in (source_admin, member_user):
        api = api_client_for(user, workspace)
        read = api.get(url).json()
        assert read["request"]["headers"]["Stripe-Signature"].startswith("••••")
        assert read["request"]["headers"]["Content-Type"] == "application/json"
        assert api.post(url_of(function), {**CASE, "name": "x"}, format="json").status_code == 403
        assert api.patch(url, {"name": "y"}, format="json").status_code == 403
        assert api.delete(url).status_code == 403
    assert owner_api.get(url).json()["request"] == REQUEST


def test_another_workspaces_tests_are_not_found(owner_api, function, outsider, api_client_for):
    saved = owner_api.post(url_of(function), CASE, format="json").json()
    other = SourceFactory(workspace__slug="elsewhere").function
    foreign = SavedTest.objects.create(function=other, name="theirs", request=REQUEST,
                                       expect={"events": []})  # fmt: skip
    assert owner_api.get(f"{API}/functions/{other.pk}/tests/").status_code == 404
    wrong_function = url_of(function, f"{foreign.pk}/")
    assert owner_api.get(wrong_function).status_code == 404
    assert owner_api.delete(wrong_function).status_code == 404
    outsider_api = api_client_for(outsider, outsider.memberships.get().workspace)
    assert outsider_api.get(url_of(function, f"{saved['id']}/")).status_code == 404


def test_run_all_reports_each_test_in_a_worker(owner_api, function, celery_worker):
    owner_api.post(url_of(function), CASE, format="json")
    wrong = {
        **CASE,
        "name": "wrong region",
        "expect": {"events": [{"properties": {"region": "us"}}]},
    }
    owner_api.post(url_of(function), wrong, format="json")
    key_error = {"error": {"name": "ValidationError", "message": "api key"}}
    no_secret = {**CASE, "name": "needs the key", "secret_settings": [], "expect": key_error}
    owner_api.post(url_of(function), no_secret, format="json")

    response = owner_api.post(url_of(function, "run/"), {}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["passed"], body["failed"]) == (2, 1)
    by_name = {t["name"]: t for t in body["tests"]}
    assert by_name["charge succeeded"]["passed"]
    assert by_name["needs the key"]["passed"]
    assert by_name["wrong region"]["differences"] == [
        'events[0].properties.region: expected "us", got "eu"'
    ]
    assert "sk-live-very-secret" not in response.content.decode()


def test_running_tests_needs_the_run_permission(function, workspace, member_user, api_client_for):
    api = api_client_for(member_user, workspace)
    assert api.post(url_of(function, "run/"), {}, format="json").status_code == 403
