"""The object store of a source through the API: what its Segment.set calls wrote,
searched by id, and each object's history (GET …/objects/?search=&id=&collection=,
GET …/objects/changes/?collection=&id=), for every member; 404 for anything of another
source or workspace; paginated like every list."""

import pytest
from rest_framework.test import APIClient

from ingest import services
from tests.ingest.helpers import post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]

SET_FROM_BODY = """
async function onRequest(request) {
  const body = request.json();
  Segment.set({ collection: body.collection, id: body.id, properties: body.properties });
}"""
OBJECTS = "/api/v1/workspaces/acme/sources/{slug}/objects/"
CHANGES = OBJECTS + "changes/"


def write(client, source, properties, collection="customers", id="cus_1"):
    body = {"collection": collection, "id": id, "properties": properties}
    services.ingest_event_execute(ingest_event_id=post_webhook(client, source, body).json()["id"])


@pytest.fixture
def source(workspace, client):
    source = source_running(SET_FROM_BODY, workspace=workspace, slug="crm")
    write(client, source, {"name": "Ada", "plan": "free"}, id="cus_1")
    write(client, source, {"plan": "pro"}, id="cus_1")
    write(client, source, {"name": "Bob"}, id="cus_2")
    write(client, source, {"name": "Acme"}, collection="accounts", id="acc_1/eu")
    return source


def ids(page) -> list[str]:
    return [(o["collection"], o["id"]) for o in page["results"]]


def test_search_by_id_finds_the_objects_whose_id_contains_it(owner_api, source):
    url = OBJECTS.format(slug="crm")
    found = owner_api.get(url, {"search": "cus_"}).json()
    assert found["count"] == 2
    assert sorted(ids(found)) == [("customers", "cus_1"), ("customers", "cus_2")]
    one = owner_api.get(url, {"search": "cus_1"}).json()["results"]
    assert one == [
        {"collection": "customers", "id": "cus_1", "properties": {"name": "Ada", "plan": "pro"},
         "created_at": one[0]["created_at"], "updated_at": one[0]["updated_at"], "changes": 2}
    ]  # fmt: skip
    assert ids(owner_api.get(url, {"id": "cus_"}).json()) == []  # id is exact
    assert ids(owner_api.get(url, {"id": "acc_1/eu"}).json()) == [("accounts", "acc_1/eu")]
    assert owner_api.get(url, {"search": "cus", "collection": "accounts"}).json()["count"] == 0


@pytest.mark.parametrize("role", ["owner", "source_admin", "member_user"])
def test_every_member_reads_an_objects_history_newest_first(
    request, api_client_for, workspace, source, role
):
    api = api_client_for(request.getfixturevalue(role), workspace)
    history = api.get(CHANGES.format(slug="crm"), {"collection": "customers", "id": "cus_1"})
    assert history.status_code == 200, history.content
    body = history.json()
    assert body["count"] == 2
    newest_first = [{"plan": "pro"}, {"name": "Ada", "plan": "free"}]
    assert [c["properties"] for c in body["results"]] == newest_first
    assert body["results"][0]["source"] == {"slug": "crm", "name": source.name}
    assert body["results"][0]["ingest_event"]


def test_an_id_with_a_slash_is_found(owner_api, source):
    history = owner_api.get(
        CHANGES.format(slug="crm"), {"collection": "accounts", "id": "acc_1/eu"}
    )
    assert history.status_code == 200 and history.json()["count"] == 1


def test_history_is_paginated(owner_api, source):
    url = CHANGES.format(slug="crm")
    page = owner_api.get(url, {"collection": "customers", "id": "cus_1", "limit": 1}).json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]
    assert (
        owner_api.get(url, {"collection": "customers", "id": "cus_1", "limit": 0}).status_code
        == 400
    )


def test_the_key_must_be_given(owner_api, source):
    response = owner_api.get(CHANGES.format(slug="crm"), {"collection": "customers"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"id": ["Give the object's collection and id."]}


def test_an_object_this_source_never_wrote_is_404(owner_api, workspace, source, client):
    other = source_running(SET_FROM_BODY, workspace=workspace, slug="other-crm")
    write(client, other, {"name": "Eve"}, id="cus_9")
    url = CHANGES.format(slug="crm")
    missing = owner_api.get(url, {"collection": "customers", "id": "cus_9"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "This source wrote no object with that collection and id."
    assert owner_api.get(OBJECTS.format(slug="crm"), {"search": "cus_9"}).json()["count"] == 0


def test_another_workspace_is_404_and_anonymous_401(api_client_for, outsider, source):
    theirs = api_client_for(outsider, outsider.memberships.get().workspace)
    key = {"collection": "customers", "id": "cus_1"}
    assert theirs.get(CHANGES.format(slug="crm"), key).status_code == 404
    assert theirs.get(OBJECTS.format(slug="crm")).status_code == 404
    assert APIClient().get(CHANGES.format(slug="crm"), key).status_code == 401


def test_both_take_a_fixed_number_of_queries(owner_api, source, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert owner_api.get(OBJECTS.format(slug="crm")).status_code == 200
    with django_assert_max_num_queries(8):
        key = {"collection": "customers", "id": "cus_1"}
        assert owner_api.get(CHANGES.format(slug="crm"), key).status_code == 200
