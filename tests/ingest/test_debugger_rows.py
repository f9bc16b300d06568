"""What the source page's debugger reads: each execution with the version that ran and
the request it ran on (body, headers, query; no credential, for any role), and one
execution with the events it emitted and their deliveries; each stored event with its
version and request. Stored executions get all of it, not only live ones."""

import json

import pytest

from ingest import live, services
from ingest.models import Delivery, Destination, Execution
from tests.ingest.helpers import (
    STRIPE_CHARGE,
    TRACK_AND_SET,
    deploy_new_version,
    post_webhook,
    source_running,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]

BASE = "/api/v1/workspaces/acme/sources/stripe-live/"
SECRET_HEADERS = {"HTTP_AUTHORIZATION": "Bearer s3cret-bearer", "HTTP_X_SIGNATURE": "sha256=abc"}


@pytest.fixture
def source(workspace):
    return source_running(TRACK_AND_SET, workspace=workspace, slug="stripe-live")


def run(client, source, body=STRIPE_CHARGE, **headers) -> int:
    response = post_webhook(client, source, body, query="shop=acme&api_key=k3y", **headers)
    event_id = response.json()["id"]
    services.ingest_event_execute(ingest_event_id=event_id)
    return event_id


def newest(api) -> dict:
    return api.get(BASE + "logs/").json()["results"][0]


@pytest.mark.parametrize("role", ["owner", "source_admin", "member_user"])
def test_a_row_says_the_version_and_the_request_without_credentials(
    request, api_client_for, workspace, source, client, role
):
    run(client, source, HTTP_USER_AGENT="Stripe/1.0", **SECRET_HEADERS)
    api = api_client_for(request.getfixturevalue(role), workspace)
    row = newest(api)
    assert row["version"] == 1 and row["status"] == "succeeded"
    shown = row["request"]
    assert shown["method"] == "POST"
    assert shown["path"] == f"/hooks/{source.webhook_token[:4]}…"
    assert shown["query"] == [["shop", "acme"], ["api_key", live.HIDDEN]]
    assert shown["headers"]["User-Agent"] == "Stripe/1.0"
    assert shown["headers"]["Authorization"] == live.HIDDEN
    assert shown["headers"]["X-Signature"] == live.HIDDEN
    assert shown["content_type"] == "application/json"
    assert shown["size"] == len(json.dumps(STRIPE_CHARGE))
    assert "body" not in shown  # the list leaves bodies out; the execution has it
    text = json.dumps(row)
    assert "s3cret-bearer" not in text and "sha256=abc" not in text and "k3y" not in text


def test_the_stored_request_keeps_its_headers_as_they_came(source, client):
    """The debugger hides credentials when it shows them; the stored request keeps them
    (a replay must verify a sender's signature as the first run did)."""
    event_id = run(client, source, **SECRET_HEADERS)
    from ingest.models import IngestEvent

    stored = IngestEvent.objects.get(pk=event_id).headers
    assert stored["Authorization"] == "Bearer s3cret-bearer"
    assert stored["X-Signature"] == "sha256=abc"


def test_one_execution_has_the_body_and_the_events_it_emitted(owner_api, source, client):
    run(client, source)
    one = owner_api.get(BASE + f"logs/{newest(owner_api)['id']}/").json()
    assert json.loads(one["request"]["body"]) == STRIPE_CHARGE
    assert [(e["type"], e["message"].get("event")) for e in one["events"]] == [
        ("track", "Charge Succeeded")
    ]
    assert one["event_count"] == 1 and one["events"][0]["message_id"]


def test_a_failed_execution_emitted_and_sent_nothing(owner_api, source, client):
    run(client, source, {"type": "charge.refunded"})
    row = newest(owner_api)
    assert row["status"] == "failed" and row["deliveries"] == []
    one = owner_api.get(BASE + f"logs/{row['id']}/").json()
    assert one["events"] == [] and one["request"]["body"] == '{"type": "charge.refunded"}'


def test_deliveries_show_on_stored_executions(owner_api, workspace, source, client):
    event_id = run(client, source)
    for name, status, error in (("Warehouse", "delivered", ""),
                                ("Collector", "failed", "HTTP 400\nthe whole answer")):  # fmt: skip
        destination = Destination.objects.create(workspace=workspace, name=name, kind="webhook")
        Delivery.objects.create(
            ingest_event_id=event_id, destination=destination, status=status, error=error
        )
    row = newest(owner_api)
    assert [(d["destination"]["name"], d["status"], d["error"]) for d in row["deliveries"]] == [
        ("Collector", "failed", "HTTP 400"),
        ("Warehouse", "delivered", None),
    ]
    one = owner_api.get(BASE + f"logs/{row['id']}/").json()
    assert one["deliveries"] == row["deliveries"]


def test_the_version_is_the_one_that_ran(owner_api, source, client):
    run(client, source)
    deploy_new_version(source, TRACK_AND_SET)
    source.version = source.function.deployed_version
    source.save(update_fields=["version"])
    from ingest.receive.sources import source_lookup

    source_lookup.forget()
    run(client, source)
    versions = [e["version"] for e in owner_api.get(BASE + "logs/").json()["results"]]
    assert versions == [2, 1]


def test_events_say_their_execution_version_and_request(owner_api, source, client):
    run(client, source, **SECRET_HEADERS)
    event = owner_api.get(BASE + "events/").json()["results"][0]
    execution = Execution.objects.get()
    assert event["execution"] == execution.pk and event["version"] == 1
    assert event["request"]["headers"]["Authorization"] == live.HIDDEN
    assert event["request"]["query"][0] == ["shop", "acme"]


def test_the_list_takes_a_fixed_number_of_queries(
    owner_api, workspace, source, client, django_assert_max_num_queries
):
    Destination.objects.create(workspace=workspace, name="W", kind="webhook")
    for _ in range(5):
        run(client, source)  # the record adds each one's delivery
    for path in ("logs/", "events/"):
        with django_assert_max_num_queries(8):
            page = owner_api.get(BASE + path)
            assert page.status_code == 200
    rows = owner_api.get(BASE + "logs/").json()["results"]
    assert [len(row["deliveries"]) for row in rows] == [1] * 5
