"""Forwarding to a Segment-compatible endpoint, against a local fake collector."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest

from ingest import services
from ingest.models import Delivery, Forwarding, StoredEvent
from tests.ingest.helpers import TRACK_AND_SET, post_webhook, source_running

pytestmark = pytest.mark.django_db


class Collector(ThreadingHTTPServer):
    """Records what it receives and answers with the next scripted status."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), CollectorHandler)
        self.received: list[tuple[str, str, dict]] = []
        self.statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class CollectorHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, self.headers["Authorization"], body))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"success": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def collector():
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture
def executed(client, collector):
    """An ingest event whose run stored one event and one object, forwarding on."""
    source = source_running(TRACK_AND_SET)
    Forwarding.objects.create(workspace=source.workspace, endpoint=collector.url, write_key="wk_1")
    with mock.patch("ingest.queue.execute_soon"), mock.patch("ingest.queue.deliver"):
        event_id = post_webhook(client, source).json()["id"]
        services.ingest_event_execute(ingest_event_id=event_id)
    return event_id


def test_events_and_objects_are_delivered_with_the_write_key(executed, collector):
    assert services.ingest_event_forward(ingest_event_id=executed) == "delivered"
    (batch_path, auth, batch), (set_path, _, objects) = collector.received
    assert batch_path == "/v1/batch" and set_path == "/v1/set"
    assert auth == "Basic " + base64.b64encode(b"wk_1:").decode()
    assert [m["event"] for m in batch["batch"]] == ["Charge Succeeded"]
    assert objects == {
        "collection": "charges",
        "objects": [{"id": "ch_3NG8", "properties": {"amount": 2000}}],
    }
    assert StoredEvent.objects.get().sent_at is not None
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.event_count, delivery.object_count) == ("delivered", 1, 1)


def test_a_server_error_is_retried_and_sent_events_are_not_resent(executed, collector):
    collector.statuses = [200, 503]  # the batch goes through, the objects fail
    assert services.ingest_event_forward(ingest_event_id=executed) == "retry"
    assert services.ingest_event_forward(ingest_event_id=executed, attempt=2) == "delivered"
    paths = [path for path, _, _ in collector.received]
    assert paths == ["/v1/batch", "/v1/set", "/v1/set"]
    assert list(Delivery.objects.order_by("attempt").values_list("status", "http_status")) == [
        ("retrying", 503),
        ("delivered", None),
    ]


def test_a_client_error_is_not_retried(executed, collector):
    collector.statuses = [400]
    assert services.ingest_event_forward(ingest_event_id=executed) == "failed"
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and "HTTP 400" in delivery.error


def test_the_last_attempt_gives_up(executed, collector):
    collector.statuses = [500]
    assert services.ingest_event_forward(ingest_event_id=executed, attempt=5) == "failed"


def test_an_unreachable_endpoint_is_a_temporary_failure(executed):
    Forwarding.objects.update(endpoint="http://127.0.0.1:9")  # discard port: refused
    assert services.ingest_event_forward(ingest_event_id=executed) == "retry"
    assert "ConnectError" in Delivery.objects.get().error


def test_without_forwarding_nothing_is_sent(executed, collector):
    Forwarding.objects.update(enabled=False)
    assert services.ingest_event_forward(ingest_event_id=executed) == "skipped"
    assert collector.received == [] and not Delivery.objects.exists()
