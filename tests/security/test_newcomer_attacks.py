# ruff: noqa: E501  (cases and JavaScript sources read better unwrapped)
"""Attacks on the newcomer's path (issue 14): samples, scratch test URLs, the debugger's
requests, the object store view, errors in words, the deploy that compiles first and the
loop guards. Each test is a hole found by attacking them, now closed."""

import json

import pytest

from ingest import services
from ingest.receive import IncomingWebhook
from tests.catalog.helpers import API, API_KEY, REGION, create_function
from tests.ingest.conftest import no_queue  # noqa: F401 (a fixture used by name)
from tests.ingest.helpers import TRACK_AND_SET, source_running

pytestmark = pytest.mark.django_db

REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {},
           "body": {"amount": 2000}}  # fmt: skip


# --- NUL characters in the JSON the API stores ---------------------------------------
# PostgreSQL's jsonb cannot hold "\u0000": a sample whose request had a "\x00" key (or
# value), a function's setting definitions, test values, a saved test's expectation…
# were a DataError at the insert, a 500 (SQLite kept them). catalog.fields.UserJSONField
# refuses them in both databases with the field's error.

NUL_WRITES = [
    ("post", "samples/", {"name": "s", "request": {**REQUEST, "headers": {"\x00": "x"}}}, "request"),
    ("post", "samples/", {"name": "s", "request": {**REQUEST, "body": {"a": ["b\x00"]}}}, "request"),
    ("post", "samples/", {"name": "s", "request": REQUEST, "settings": {"region": "\x00"}}, "settings"),
    ("patch", "test-settings/", {"settings": {"region": "eu\x00"}}, "settings"),
    ("patch", "", {"settings": [{**REGION, "label": "R\x00"}]}, "settings"),
    ("post", "tests/", {"name": "t", "request": {**REQUEST, "body": {"\x00": 1}},
                        "expect": {"events": []}}, "request"),
    ("post", "tests/", {"name": "t", "request": REQUEST,
                        "expect": {"events": [{"event": "\x00"}]}}, "expect"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "field"), NUL_WRITES)
def test_a_nul_character_in_stored_json_is_a_field_error(owner_api, method, path, body, field):
    function = create_function(owner_api, settings=[API_KEY, REGION])
    url = f"{API}/functions/{function['id']}/{path}"
    response = getattr(owner_api, method)(url, body, format="json")
    assert response.status_code == 400, response.content
    assert "NUL character" in " ".join(response.json()["errors"][field])


def test_a_new_function_s_samples_and_settings_refuse_nul_characters(owner_api):
    sample = {"name": "x", "request": {**REQUEST, "body": {"k\x00": 1}}}
    for body in ({"name": "A", "samples": [sample]},
                 {"name": "B", "settings": [{**API_KEY, "description": "\x00"}]}):  # fmt: skip
        response = owner_api.post(f"{API}/functions/", body, format="json")
        assert response.status_code == 400, response.content
        assert "NUL character" in response.json()["detail"]


# --- A sample nested some 900 levels deep ---------------------------------------------
# The saved tests refused a request nested past 100 levels (attack16); a sample's was
# stored as given, and at some 900 levels Python's JSON writer failed: a 500, on POST
# samples/ and on creating a function with that sample. Every JSON a user writes nests at
# most 100 levels (catalog.fields.UserJSONField).


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_a_sample_nested_too_deep_is_a_400(owner_api):
    function = create_function(owner_api)
    # 300: past the rule's 100, and parsed wherever the test runs (under pytest-xdist
    # the parser's stack starts deeper, and 900 levels already fail to parse there).
    sample = (
        '{"name": "deep", "request": {"url": "https://example.com/hook", "body": '
        + nested(300)
        + "}}"
    )
    for url, body in ((f"{API}/functions/{function['id']}/samples/", sample),
                      (f"{API}/functions/", '{"name": "Deep", "samples": [' + sample + "]}")):  # fmt: skip
        response = owner_api.post(url, body, content_type="application/json")
        assert response.status_code == 400, response.content[:300]
        assert response.json()["errors"]["request"] == [
            "Nests deeper than 100 levels, which cannot be stored."
        ]


# --- NUL characters in the filters of the object store view and the debugger ---------
# `objects/?search=%00` (the object store view's search by id), `?collection=`, `?id=`,
# `objects/changes/?…` and `events/?type=%00` were 500s on PostgreSQL (text cannot hold
# NUL). No query parameter of the API may hold one (catalog.api.base.CatalogView).

FILTERS = ["events/?type=%00", "objects/?collection=%00", "objects/?search=a%00",
           "objects/?id=%00", "objects/changes/?collection=%00&id=a",
           "objects/changes/?collection=a&id=%00", "objects/?x%00=1"]  # fmt: skip


@pytest.mark.parametrize("query", FILTERS)
def test_a_nul_character_in_a_filter_is_a_400(owner_api, workspace, query):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    response = owner_api.get(f"{API}/sources/{source.slug}/{query}")
    assert response.status_code == 400, response.content
    assert "NUL character" in response.json()["detail"]


# --- A draft whose output holds a NUL character failed its preview -----------------------
# The preview on recent traffic keeps the draft's logs and its comparison with what the
# version emitted: a draft that logged (or emitted) a NUL character, as console output of
# binary bodies often does, failed the whole preview on PostgreSQL (a DataError), where
# executions keep such output cleaned (ingest.record.stores.without_nul). The preview
# keeps it cleaned the same way.

NUL_DRAFT = """async function onRequest(request) {
  console.log('a\\u0000b');
  Segment.track({ event: 'Order\\u0000', userId: 'u', properties: { ['k\\u0000']: 1 } });
}"""


@pytest.mark.usefixtures("no_queue")
def test_a_preview_of_a_draft_whose_output_holds_nul_characters_finishes(owner_api, workspace):
    source = source_running(TRACK_AND_SET, workspace=workspace, slug="orders")
    source.function.draft_code = NUL_DRAFT
    source.function.save(update_fields=["draft_code"])
    body = json.dumps({"amount": 2000, "id": "o1"}).encode()
    webhook = IncomingWebhook("POST", "/hooks/x", "", {"Content-Type": "application/json"}, body)
    event = services.webhook_accept(token=source.webhook_token, webhook=webhook).event
    services.ingest_events_execute(ingest_event_ids=[event.pk])
    previews = f"{API}/functions/{source.function_id}/previews/"
    started = owner_api.post(previews, {"source": source.slug}, format="json")
    assert started.status_code == 201, started.content
    services.preview_run(preview_id=started.json()["id"])
    preview = owner_api.get(f"{previews}{started.json()['id']}/").json()
    assert (preview["status"], preview["done"]) == ("finished", 1), preview
    webhooks = owner_api.get(f"{previews}{started.json()['id']}/webhooks/").json()["results"]
    assert webhooks[0]["logs"][0]["message"] == "a\ufffdb"


# --- A sample over the API's body limit was answered with an HTML page ------------------
# A body past DATA_UPLOAD_MAX_MEMORY_SIZE (a 20 MB sample) was refused, but by Django's
# HTML "Bad Request (400)" page: the editor and the CLI had no JSON to say why.


def test_a_body_past_the_api_s_limit_is_a_json_413(owner_api, settings):
    function = create_function(owner_api)
    sample = {"name": "big", "request": {**REQUEST, "body": None, "rawBody": "x" * 3_000_000}}
    del sample["request"]["body"]
    response = owner_api.post(f"{API}/functions/{function['id']}/samples/", sample, format="json")
    assert response.status_code == 413
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"
    assert response.json() == {
        "detail": f"The request body is larger than {limit} bytes, the most the API takes."
    }
