"""The one capture format (API and websocket): body as text, `json` when it parses,
and `request` in the runner's own form, ready to be a Run's input."""

from datetime import UTC, datetime

import pytest

from ingest.catcher import capture_payload
from ingest.models import Capture


def payload(body: bytes, content_type: str = "application/json", query: str = "") -> dict:
    capture = Capture(
        pk=7,
        function_id=1,
        method="POST",
        path="/hooks/test/tok",
        query_string=query,
        headers={"Content-Type": content_type} if content_type else {},
        raw_body=body,
        received_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    return capture_payload(capture)


def test_json(settings):
    settings.PUBLIC_URL = "https://fn.example.com"
    p = payload(b'{"a": [1, 2]}', query="x=1")
    assert p["id"] == 7 and p["received_at"] == "2026-01-02T03:04:05+00:00"
    assert p["url"] == "https://fn.example.com/hooks/test/tok?x=1"
    assert p["body"] == '{"a": [1, 2]}' and p["json"] == {"a": [1, 2]}
    assert p["size"] == 13 and p["truncated"] is False
    assert p["request"]["body"] == {"a": [1, 2]} and "rawBody" not in p["request"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"a=1&b=two", "application/x-www-form-urlencoded"),
        (b"<xml/>", "text/xml"),
        (b"", ""),
        (b'{"broken": ', "application/json"),
        (b"NaN", "application/json"),  # Python parses it; JSON and browsers do not
    ],
)
def test_other_bodies_are_text(body, content_type):
    p = payload(body, content_type)
    assert "json" not in p and p["content_type"] == content_type
    assert p["body"] == body.decode() and p["request"]["rawBody"] == body.decode()
    assert "body" not in p["request"]


def test_binary_bodies_are_the_text_the_function_reads():
    p = payload(b"\xff\x00\xfe", "application/octet-stream")
    # Node's Buffer.toString('utf8'): each invalid byte is U+FFFD (docs/runner.md)
    assert p["body"] == "\ufffd\x00\ufffd" == p["request"]["rawBody"]
    assert p["size"] == 3
