"""GET …/sources/<slug>/logs/ and …/events/: newest first, limits, filters, queries."""

import pytest

from ingest import services
from tests.ingest.helpers import TRACK_AND_SET, post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]


@pytest.fixture
def source(workspace, client):
    source = source_running(TRACK_AND_SET, workspace=workspace, slug="stripe-live")
    charge = {"id": "ch_1", "customer": "c", "amount": 100, "currency": "usd"}
    succeeded = {"type": "charge.succeeded", "data": {"object": charge}}
    for body in (succeeded, {"type": "charge.refunded"}) * 3:
        services.ingest_event_execute(
            ingest_event_id=post_webhook(client, source, body).json()["id"]
        )
    return source


LOGS = "/api/v1/workspaces/acme/sources/stripe-live/logs/"


def test_logs_are_newest_first_with_errors_and_console(source, owner_api):
    page = owner_api.get(LOGS).json()
    assert page["count"] == 6 and page["next"] is None
    logs = page["results"]
    assert len(logs) == 6
    ids = [log["id"] for log in logs]
    assert ids == sorted(ids, reverse=True)
    failed = [log for log in logs if log["status"] == "failed"]
    assert len(failed) == 3
    assert failed[0]["error"]["name"] == "EventNotSupported"
    assert failed[0]["error"]["message"] == "charge.refunded is not supported"


def test_limit_and_status_filter(source, owner_api):
    assert len(owner_api.get(LOGS, {"limit": 2}).json()["results"]) == 2
    succeeded = owner_api.get(LOGS, {"status": "succeeded"}).json()["results"]
    assert {log["status"] for log in succeeded} == {"succeeded"} and len(succeeded) == 3


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_bad_limit_is_explained(source, owner_api, limit):
    response = owner_api.get(LOGS, {"limit": limit})
    assert response.status_code == 400
    assert response.json()["errors"]["limit"] == ["Must be a whole number from 1 to 100."]


def test_a_bad_status_is_explained(source, owner_api):
    response = owner_api.get(LOGS, {"status": "exploded"})
    assert response.status_code == 400 and "succeeded" in str(response.json())


def test_events_are_listed_and_filtered_by_type(source, owner_api):
    events = owner_api.get(
        "/api/v1/workspaces/acme/sources/stripe-live/events/", {"type": "track"}
    ).json()
    assert events["count"] == 3
    assert {e["message"]["event"] for e in events["results"]} == {"Charge Succeeded"}


def test_list_endpoints_use_a_fixed_number_of_queries(
    source, owner_api, django_assert_max_num_queries
):
    for path in ("logs/", "events/", "objects/", "dead-letters/"):
        with django_assert_max_num_queries(8):
            assert (
                owner_api.get(f"/api/v1/workspaces/acme/sources/stripe-live/{path}").status_code
                == 200
            )
