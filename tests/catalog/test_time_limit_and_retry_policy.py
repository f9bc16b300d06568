"""A function's time limit and retry policy through the REST API: shown with their
defaults, set by owners within their ranges (clear errors otherwise), copied into each
version (sources run their version's), restored with a version, in the schema."""

import pytest

from catalog.models import FunctionVersion
from tests.catalog.helpers import API, connect, create_function, deploy

pytestmark = pytest.mark.django_db

DEFAULT_POLICY = {
    "retry_on": "any_failure",
    "attempts": 5,
    "first_delay_s": 300.0,
    "max_delay_s": 1200.0,
    "waits_s": [300.0, 600.0, 1200.0, 1200.0],
    "summary": "Any failure: 5 attempts, waiting 5 min, 10 min, 20 min and 20 min between "
    "them, each less by up to 20 %: 44 min to 55 min from the first attempt to the last.",
}


def patch(api, function_id, **body):
    return api.patch(f"{API}/functions/{function_id}/", body, format="json")


@pytest.fixture(autouse=True)
def _product_defaults(settings):
    settings.RETRY_BACKOFF_BASE_S, settings.RETRY_BACKOFF_CAP_S = 300.0, 1200.0


def test_a_new_function_shows_the_defaults(owner_api):
    function = create_function(owner_api)
    assert (function["time_limit_ms"], function["time_limit_is_default"]) == (1000, True)
    assert function["retry_policy"] == DEFAULT_POLICY


def test_an_owner_sets_both_and_the_next_version_takes_them(owner_api):
    function = create_function(owner_api, code="// v1")
    deploy(owner_api, function["id"])
    source = connect(owner_api, function["id"])
    policy = {"retry_on": "retry_error_and_timeouts", "attempts": 3, "first_delay_s": 60,
              "max_delay_s": 90}  # fmt: skip

    saved = patch(owner_api, function["id"], time_limit_ms=10_000, retry_policy=policy)

    assert saved.status_code == 200, saved.json()
    body = saved.json()
    assert (body["time_limit_ms"], body["time_limit_is_default"]) == (10_000, False)
    assert body["retry_policy"]["waits_s"] == [60.0, 90.0]
    assert body["retry_policy"]["summary"] == (
        "RetryError and timeouts only: 3 attempts, waiting 1 min and 1.5 min between them, "
        "each less by up to 20 %: 2 min to 2.5 min from the first attempt to the last."
    )
    # Saved in the draft only: the running version keeps its own.
    first = owner_api.get(f"{API}/functions/{function['id']}/versions/1/").json()
    assert (first["time_limit_ms"], first["retry_policy"]["retry_on"]) == (1000, "any_failure")
    second = deploy(owner_api, function["id"])["version"]
    assert (second["time_limit_ms"], second["retry_policy"]["attempts"]) == (10_000, 3)
    version = FunctionVersion.objects.get(function_id=function["id"], number=2)
    assert (version.time_limit, version.retry_policy.first_delay_s) == (10_000, 60)
    pinned = owner_api.get(f"{API}/sources/{source['slug']}/").json()
    assert pinned["version"] == 1  # a pinned source runs version 1's second until upgraded


def test_a_partial_policy_keeps_the_rest_and_null_goes_back_to_the_default(owner_api):
    function = create_function(owner_api)
    patch(owner_api, function["id"], time_limit_ms=2500, retry_policy={"first_delay_s": 30})
    body = patch(owner_api, function["id"], retry_policy={"attempts": 2}).json()
    assert (body["retry_policy"]["first_delay_s"], body["retry_policy"]["attempts"]) == (30, 2)
    body = patch(
        owner_api, function["id"], time_limit_ms=None, retry_policy={"first_delay_s": None}
    ).json()
    assert (body["time_limit_ms"], body["time_limit_is_default"]) == (1000, True)
    assert body["retry_policy"]["waits_s"] == [300.0]


def test_a_function_is_created_with_its_limit_and_policy(owner_api):
    function = create_function(
        owner_api, time_limit_ms=5000, retry_policy={"retry_on": "retry_error_and_timeouts"}
    )
    assert function["time_limit_ms"] == 5000
    assert function["retry_policy"]["retry_on"] == "retry_error_and_timeouts"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"time_limit_ms": 10_001}, "time_limit_ms",
         "The time limit must be a whole number of milliseconds from 100 to 10,000 (10 s), or "
         "null for the default, not 10001."),
        ({"time_limit_ms": 50}, "time_limit_ms", "from 100 to 10,000 (10 s)"),
        ({"time_limit_ms": "2s"}, "time_limit_ms", "A valid integer is required."),
        ({"retry_policy": {"attempts": 0}}, "retry_policy.attempts",
         "Attempts must be a whole number from 1 (no retry) to 10, not 0."),
        ({"retry_policy": {"attempts": 11}}, "retry_policy.attempts", "from 1 (no retry) to 10"),
        ({"retry_policy": {"first_delay_s": 0.5}}, "retry_policy.first_delay_s",
         "A wait must be a number of seconds from 1 to 3600 (an hour), or null for the "
         "default, not 0.5."),
        ({"retry_policy": {"max_delay_s": 7200}}, "retry_policy.max_delay_s", "not 7200"),
        ({"retry_policy": {"first_delay_s": 600, "max_delay_s": 60}}, "retry_policy.max_delay_s",
         "The longest wait (60 s) cannot be shorter than the first (600 s)."),
        ({"retry_policy": {"retry_on": "sometimes"}}, "retry_policy",
         '"sometimes" is not a valid choice.'),
    ],
)  # fmt: skip
def test_out_of_range_values_are_refused_with_what_to_give(owner_api, body, field, message):
    function = create_function(owner_api)
    response = patch(owner_api, function["id"], **body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(message in m for m in errors[field]), errors
    unchanged = owner_api.get(f"{API}/functions/{function['id']}/").json()
    assert unchanged["time_limit_ms"] == 1000 and unchanged["retry_policy"] == DEFAULT_POLICY


def test_only_owners_change_them(owner_api, source_admin, workspace, api_client_for):
    function = create_function(owner_api)
    admin = api_client_for(source_admin, workspace)
    assert admin.get(f"{API}/functions/{function['id']}/").json()["time_limit_ms"] == 1000
    response = patch(admin, function["id"], time_limit_ms=10_000)
    assert response.status_code == 403


def test_restoring_a_version_brings_back_its_limit_and_policy(owner_api):
    function = create_function(owner_api, time_limit_ms=3000, retry_policy={"attempts": 2})
    deploy(owner_api, function["id"])
    patch(owner_api, function["id"], time_limit_ms=None, retry_policy={"attempts": 5})
    restored = owner_api.post(f"{API}/functions/{function['id']}/versions/1/restore/").json()
    assert (restored["time_limit_ms"], restored["retry_policy"]["attempts"]) == (3000, 2)


def test_the_schema_describes_them(owner_api):
    schema = owner_api.get("/api/schema/?format=json").json()["components"]["schemas"]
    draft = schema["PatchedDraftInputRequest"]["properties"]
    assert {"time_limit_ms", "retry_policy"} <= set(draft)
    assert set(schema["RetryPolicyInputRequest"]["properties"]) == {
        "retry_on", "attempts", "first_delay_s", "max_delay_s",
    }  # fmt: skip
    shown = schema["FunctionOutput"]["properties"]
    assert {"time_limit_ms", "time_limit_is_default", "retry_policy"} <= set(shown)
    assert "summary" in schema["RetryPolicyOutput"]["properties"]
    assert {"retry_policy", "reason", "time_limit_ms"} <= set(
        schema["DeadLetterOutput"]["properties"]
    )
