"""A binary body is limited once, by its bytes, at the door; what the door accepts can
always run. A 1.1 MB body of 0xFF bytes once failed every attempt (`RequestFormatError:
body 2252800 bytes`: read as latin-1, counted again as UTF-8) and took its batch with it."""

from unittest import mock

import pytest

from ingest import services
from ingest.models import IngestEvent, StoredEvent
from tests.ingest.helpers import TRACK_AND_SET, post_webhook, source_running

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_queue():
    with mock.patch("ingest.queue.broker"), mock.patch("ingest.queue.execute_soon"):
        yield


MEASURE = """
async function onRequest(request) {
  const text = request.text();
  Segment.track({ event: 'Binary', userId: 'u1', properties: {
    length: text.length, replaced: text.split('\\ufffd').length - 1 } });
}"""


def test_a_binary_body_under_the_limit_runs_and_reads_as_node_would(client):
    source = source_running(MEASURE)
    body = b"\xff" * 1_100_000
    response = post_webhook(client, source, body, content_type="application/octet-stream")
    assert response.status_code == 200
    execution = services.ingest_event_execute(ingest_event_id=response.json()["id"])
    assert execution.status == "succeeded", execution.error
    properties = StoredEvent.objects.get().message["properties"]
    # Buffer.from([0xff, ...]).toString('utf8'): one U+FFFD per invalid byte.
    assert properties == {"length": 1_100_000, "replaced": 1_100_000}


def test_a_binary_body_does_not_fail_its_neighbours(client):
    binary = source_running(MEASURE)
    normal = source_running(TRACK_AND_SET, workspace=binary.workspace)
    ids = [
        post_webhook(client, binary, b"\x80\xfe" * 600_000, content_type="text/plain").json()["id"],
        post_webhook(client, normal).json()["id"],
    ]
    services.ingest_events_execute(ingest_event_ids=ids)
    assert set(IngestEvent.objects.values_list("status", flat=True)) == {"succeeded"}
