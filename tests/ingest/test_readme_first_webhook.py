"""The README's First steps, exactly as written: its curl command (method, headers, body)
posted to the source `make run` seeds becomes the event the README promises, through the
webhook URL. Templates cope with fields a sender leaves out (here Stripe's `created`):
tests/catalog/test_template_missing_fields.py."""

import re
import shlex
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command

from catalog.models import Source
from ingest import services
from ingest.models import Execution, StoredEvent

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_curl() -> dict:
    """The First steps' curl command, parsed: method, headers, body and URL."""
    text = README.read_text(encoding="utf-8")
    command = re.search(r"```sh\n(curl [^`]*?/hooks/<token>)\n```", text).group(1)
    words = shlex.split(command.replace("\\\n", " "))
    curl = {"method": "GET", "headers": {}, "body": None, "url": words[-1]}
    for flag, value in zip(words[1:-1:2], words[2:-1:2], strict=True):
        if flag == "-X":
            curl["method"] = value
        elif flag == "-H":
            name, _, header = value.partition(":")
            curl["headers"][name.strip()] = header.strip()
        elif flag == "-d":
            curl["body"] = value
        else:
            raise AssertionError(f"the README's curl has a flag this test does not know: {flag}")
    return curl


def post_as_curl(client, curl: dict, token: str):
    url = curl["url"].replace("<token>", token)
    path = re.sub(r"^https?://[^/]+", "", url)
    headers = {k: v for k, v in curl["headers"].items() if k.lower() != "content-type"}
    return client.generic(
        curl["method"], path, data=curl["body"].encode(),
        content_type=curl["headers"].get("Content-Type", ""), headers=headers,
    )  # fmt: skip


def test_the_readmes_curl_to_the_seeded_source_becomes_the_promised_event(client):
    call_command("seed_demo", stdout=StringIO())
    source = Source.objects.get(slug="stripe-demo")
    curl = readme_curl()
    assert curl["method"] == "POST" and curl["url"].endswith("/hooks/<token>")
    assert '"created"' not in curl["body"], "the README shows a charge without its time"

    with mock.patch("ingest.queue.broker"), mock.patch("ingest.queue.execute_soon"):
        answer = post_as_curl(client, curl, source.webhook_token)
        assert answer.status_code == 200, answer.content
        services.ingest_event_execute(ingest_event_id=answer.json()["id"])

    execution = Execution.objects.get()
    assert (execution.status, execution.error) == ("succeeded", None)
    [event] = StoredEvent.objects.filter(source=source)
    message = event.message
    assert (message["type"], message["event"], message["userId"]) == (
        "track", "Charge Succeeded", "cus_1",
    )  # fmt: skip
    assert message["properties"]["amount"] == 20
    assert message["properties"]["currency"] == "usd"
    sent_at = datetime.fromisoformat(message["timestamp"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=5)
