"""GET …/sources/<slug>/logs/<execution id>/: one execution's console, error and fetch
calls, for every role that reads the source's logs, and nothing of another source."""

import pytest
from django.utils import timezone

from ingest.models import Execution, IngestEvent
from tests.factories import SourceFactory, deployed_function

pytestmark = pytest.mark.django_db

LOGS = "/api/v1/workspaces/acme/sources/{slug}/logs/"


def execution_of(source, **fields) -> Execution:
    event = IngestEvent.objects.create(
        source=source, version=source.version, method="POST", path="/hooks/x", headers={},
        raw_body=b"{}",
    )  # fmt: skip
    defaults = {"attempt": 1, "started_at": timezone.now(), "duration_ms": 2.5}
    return Execution.objects.create(
        ingest_event=event, source=source, version=source.version, **{**defaults, **fields}
    )


@pytest.fixture
def source(workspace):
    return SourceFactory(function=deployed_function(workspace=workspace), slug="orders")


@pytest.fixture
def failed(source):
    return execution_of(
        source,
        status="failed",
        logs=[{"level": "log", "message": "charge ch_1"}],
        error={"name": "TypeError", "message": "x is undefined", "stack": "at line 3"},
        fetches=[{"method": "GET", "url": "https://api.example.com/", "status": 200}],
    )


@pytest.mark.parametrize("role", ["owner", "source_admin", "member_user"])
def test_every_reader_gets_one_execution_in_full(request, api_client_for, workspace, failed, role):
    client = api_client_for(request.getfixturevalue(role), workspace)
    response = client.get(LOGS.format(slug="orders") + f"{failed.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == failed.pk and body["status"] == "failed"
    assert body["logs"] == [{"level": "log", "message": "charge ch_1"}]
    assert body["error"]["name"] == "TypeError" and body["error"]["stack"] == "at line 3"
    assert body["fetches"][0]["url"] == "https://api.example.com/"


def test_it_is_the_list_item_with_the_body_and_the_events(owner_api, source, failed):
    for n in range(3):
        execution_of(source, status="succeeded", logs=[{"level": "log", "message": f"#{n}"}])
    page = owner_api.get(LOGS.format(slug="orders")).json()
    listed = {e["id"]: e for e in page["results"]}
    one = owner_api.get(LOGS.format(slug="orders") + f"{failed.pk}/").json()
    assert one.pop("events") == []  # a failed run emitted nothing
    assert one["request"].pop("body") == "{}"
    assert one == listed[failed.pk]


def test_an_execution_beyond_the_newest_hundred_is_found(owner_api, source):
    oldest = execution_of(source, status="succeeded", logs=[{"level": "log", "message": "old"}])
    for _ in range(101):
        execution_of(source, status="succeeded")
    newest = owner_api.get(LOGS.format(slug="orders"), {"limit": 100}).json()["results"]
    assert oldest.pk not in {e["id"] for e in newest}
    response = owner_api.get(LOGS.format(slug="orders") + f"{oldest.pk}/")
    assert response.status_code == 200 and response.json()["logs"][0]["message"] == "old"


def test_another_sources_execution_is_404(owner_api, workspace, source):
    sibling = SourceFactory(function=deployed_function(workspace=workspace), slug="other-source")
    theirs = execution_of(sibling, status="succeeded")
    response = owner_api.get(LOGS.format(slug="orders") + f"{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such execution in this source."


def test_another_workspaces_execution_is_404(owner_api, outsider, source):
    foreign_source = SourceFactory(
        function=deployed_function(workspace=outsider.memberships.get().workspace), slug="orders"
    )
    theirs = execution_of(foreign_source, status="succeeded")
    assert owner_api.get(LOGS.format(slug="orders") + f"{theirs.pk}/").status_code == 404


def test_an_outsider_gets_404_and_anonymous_401(api_client_for, outsider, failed):
    from rest_framework.test import APIClient

    outsider_api = api_client_for(outsider, outsider.memberships.get().workspace)
    url = LOGS.format(slug="orders") + f"{failed.pk}/"
    assert outsider_api.get(url).status_code == 404
    assert APIClient().get(url).status_code == 401


def test_an_unknown_id_is_404(owner_api, source):
    assert owner_api.get(LOGS.format(slug="orders") + "999999/").status_code == 404


def test_it_takes_a_fixed_number_of_queries(owner_api, failed, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert owner_api.get(LOGS.format(slug="orders") + f"{failed.pk}/").status_code == 200
