"""Segment.set upserts objects: properties merged, last write wins, history kept."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ingest import services
from ingest.models import ObjectChange, WarehouseObject
from tests.ingest.helpers import post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]

SET_FROM_BODY = """
async function onRequest(request) {
  const body = request.json();
  Segment.set({ collection: body.collection, id: body.id, properties: body.properties });
}"""


def write(client, source, properties, collection="customers", id="cus_1"):
    response = post_webhook(
        client, source, {"collection": collection, "id": id, "properties": properties}
    )
    services.ingest_event_execute(ingest_event_id=response.json()["id"])


def test_properties_merge_and_the_last_write_wins(client):
    source = source_running(SET_FROM_BODY)
    write(client, source, {"name": "Ada", "plan": "free"})
    write(client, source, {"plan": "pro", "seats": 3})
    row = WarehouseObject.objects.get(collection="customers", object_id="cus_1")
    assert row.properties == {"name": "Ada", "plan": "pro", "seats": 3}
    assert row.updated_at >= row.created_at
    assert list(row.changes.order_by("pk").values_list("properties", flat=True)) == [
        {"name": "Ada", "plan": "free"},
        {"plan": "pro", "seats": 3},
    ]


def test_objects_are_keyed_by_workspace_collection_and_id(client):
    source = source_running(SET_FROM_BODY)
    other_workspace = source_running(SET_FROM_BODY)
    write(client, source, {"a": 1})
    write(client, source, {"a": 2}, collection="accounts")
    write(client, other_workspace, {"a": 3})
    assert WarehouseObject.objects.count() == 3
    assert ObjectChange.objects.count() == 3


def test_objects_are_listed_by_collection(client, owner, workspace, api_client_for):
    source = source_running(SET_FROM_BODY, workspace=workspace)
    write(client, source, {"a": 1}, id="1")
    write(client, source, {"a": 2}, collection="accounts", id="2")
    api = api_client_for(owner, workspace)
    url = f"/api/v1/workspaces/acme/sources/{source.slug}/objects/"
    everything = api.get(url).json()
    accounts = api.get(url, {"collection": "accounts"}).json()
    assert everything["count"] == 2
    assert [(o["collection"], o["id"], o["properties"]) for o in accounts["results"]] == [
        ("accounts", "2", {"a": 2})
    ]


MANY_OBJECTS = """
async function onRequest() {
  for (let i = 0; i < 500; i++) {
    Segment.set({ collection: i % 2 ? 'odd' : 'even', id: String(i), properties: { n: i } });
  }
  Segment.set({ collection: 'even', id: '0', properties: { again: true } });
}"""


def test_a_thousand_objects_cost_a_statement_per_collection_not_per_object(client):
    source = source_running(MANY_OBJECTS)
    event_id = post_webhook(client, source).json()["id"]
    with CaptureQueriesContext(connection) as queries:
        services.ingest_event_execute(ingest_event_id=event_id)
    writes = [q["sql"] for q in queries if "warehouseobject" in q["sql"].lower()]
    # A few per collection (SQLite splits statements past its 999 parameters), not 500.
    assert len(writes) < 20, writes
    assert WarehouseObject.objects.count() == 500
    assert WarehouseObject.objects.get(collection="even", object_id="0").properties == {
        "n": 0,
        "again": True,
    }
    assert ObjectChange.objects.count() == 501
