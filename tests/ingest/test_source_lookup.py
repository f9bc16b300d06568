"""The accept path remembers which source a token belongs to for a moment: one query
per token and interval, and a change to a source is seen by the next webhook."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.services import source_update
from ingest.models import IngestEvent
from ingest.receive import sources as receive
from tests.factories import member
from tests.ingest.helpers import deploy_new_version, post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]


@pytest.fixture
def source():
    receive.source_lookup.forget()
    return source_running("async function onRequest() {}")


def source_queries(queries) -> int:
    return sum('FROM "catalog_source"' in q["sql"] for q in queries.captured_queries)


def test_many_webhooks_cost_one_lookup(client, source):
    with CaptureQueriesContext(connection) as queries:
        answers = [post_webhook(client, source).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert source_queries(queries) == 1


def test_unknown_tokens_are_remembered_like_known_ones(client):
    receive.source_lookup.forget()
    with CaptureQueriesContext(connection) as queries:
        answers = [client.post("/hooks/no-such-token").status_code for _ in range(3)]
    assert answers == [404] * 3
    assert source_queries(queries) == 1


def test_a_disabled_source_is_refused_at_once(client, source):
    assert post_webhook(client, source).status_code == 200
    owner = member(source.workspace, "owner")
    source_update(source=source, actor=owner, enabled=False)
    assert post_webhook(client, source).status_code == 404


def test_a_new_pinned_version_gets_the_next_webhook(client, source):
    post_webhook(client, source)
    source.version = deploy_new_version(source, "async function onRequest() { /* v2 */ }")
    source.save(update_fields=["version"])
    event_id = post_webhook(client, source).json()["id"]
    assert IngestEvent.objects.get(pk=event_id).version == source.version


def test_a_lookup_is_forgotten_after_its_interval(client, source):
    with mock.patch("ingest.receive.sources.time.monotonic", return_value=1000.0):
        post_webhook(client, source)
    later = 1000.0 + receive.SOURCE_LOOKUP_TTL_S
    with (
        mock.patch("ingest.receive.sources.time.monotonic", return_value=later),
        CaptureQueriesContext(connection) as queries,
    ):
        assert post_webhook(client, source).status_code == 200
    assert source_queries(queries) == 1


def test_the_lookup_is_bounded():
    lookup = receive.SourceLookup(size=3)
    with mock.patch.object(receive, "target_for_token", return_value=None):
        for n in range(10):
            lookup.get(f"token-{n}")
    assert list(lookup._entries) == ["token-7", "token-8", "token-9"]
