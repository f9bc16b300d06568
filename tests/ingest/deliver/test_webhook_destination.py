"""The signed webhook destination against a local receiver that verifies signatures
with the Python snippet of docs/destinations.md; the Node snippet is run with node
against the same requests."""

import json
import logging
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from ingest.deliver.destinations.base import Batch, DeliveryError, ObjectSet
from ingest.deliver.destinations.webhook import SignedWebhook, new_secret, sign
from tests.ingest.deliver.receiver import Receiver, Reply, serve

SECRET = "whsec_test_4f3e2d1c0b9a8f7e6d5c"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "destinations.md"


def snippet(language: str, marker: str) -> str:
    """The fenced `language` block of the doc's "Signed webhook" section holding marker."""
    section = DOCS.read_text().split("\n## Signed webhook\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)
    (block,) = [block for block in blocks if marker in block]
    return block


def python_verifier():
    namespace: dict = {}
    exec(snippet("python", "def verify_signature"), namespace)  # noqa: S102 - our own docs
    return namespace["verify_signature"]


verify_signature = python_verifier()

NODE_HARNESS = """
const [secret, header, bodyFile, now] = process.argv.slice(2);
const body = require("node:fs").readFileSync(bodyFile);
process.stdout.write(String(verifySignature(secret, header, body, ...(now ? [Number(now)] : []))));
"""


def node_verifies(tmp_path, secret, header, body: bytes, now: float | None = None) -> bool:
    node = shutil.which("node")
    assert node, "node is needed to run the documented Node verification"
    script, body_file = tmp_path / "verify.js", tmp_path / "body"
    script.write_text(snippet("js", "function verifySignature") + NODE_HARNESS)
    body_file.write_bytes(body)
    args = [node, str(script), secret, header, str(body_file)] + ([str(now)] if now else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True)
    return {"true": True, "false": False}[result.stdout]


def verifying_judge(received):
    if not verify_signature(SECRET, received.headers.get("x-signature", ""), received.body):
        return Reply(401, b'{"error":"bad signature"}')
    return Reply(200, b"ok")


@pytest.fixture
def receiver():
    yield from serve(Receiver(verifying_judge))


def make(url, secret=SECRET, **overrides):
    config = {"url": url, "public_url": "https://functions.example.com"}
    config |= {"allow_private_network": True} | overrides
    return SignedWebhook(config, {"secret": secret})


def track(n):
    return {"type": "track", "event": "Order Completed", "messageId": f"msg-{n}", "userId": "u1"}


BATCH = Batch(
    "stripe-demo",
    events=[track(1), track(2)],
    objects=[ObjectSet("charges", "ch_1", {"amount": 2000, "note": "é"})],
)


def test_a_batch_is_posted_as_json_with_a_signature_the_receiver_verifies(receiver):
    answer = make(receiver.url + "/webhooks/functions?team=7").send(BATCH)

    (request,) = receiver.received
    assert request.path == "/webhooks/functions?team=7"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "source": "stripe-demo",
        "events": [track(1), track(2)],
        "objects": [
            {"collection": "charges", "id": "ch_1", "properties": {"amount": 2000, "note": "é"}}
        ],
    }
    assert answer.status == 200  # the receiver verified the signature
    assert answer.detail == "2 events and 1 object in one request."
    timestamp = int(re.fullmatch(r"t=(\d+),v1=[0-9a-f]{64}", request.headers["x-signature"])[1])
    assert abs(time.time() - timestamp) < 5


def test_the_python_snippet_refuses_a_tampered_body_a_wrong_secret_and_an_old_signature(receiver):
    make(receiver.url).send(BATCH)
    (request,) = receiver.received
    header, body = request.headers["x-signature"], request.body

    assert verify_signature(SECRET, header, body)
    assert not verify_signature(SECRET, header, body.replace(b"2000", b"9000"))
    assert not verify_signature("whsec_another_secret_000", header, body)
    assert not verify_signature(SECRET, header, body, now=time.time() + 301)
    assert not verify_signature(SECRET, "v1=" + header.split("v1=")[1], body)
    assert not verify_signature(SECRET, "garbage", body)
    old = sign(SECRET, body, int(time.time()) - 600)
    assert not verify_signature(SECRET, old, body)
    assert verify_signature(SECRET, old, body, now=time.time() - 600)


def test_the_node_snippet_verifies_the_same_signature(receiver, tmp_path):
    make(receiver.url).send(BATCH)
    (request,) = receiver.received
    header, body = request.headers["x-signature"], request.body

    assert node_verifies(tmp_path, SECRET, header, body)
    assert not node_verifies(tmp_path, SECRET, header, body.replace(b"2000", b"9000"))
    assert not node_verifies(tmp_path, "whsec_another_secret_000", header, body)
    assert not node_verifies(tmp_path, SECRET, header, body, now=time.time() + 301)
    assert not node_verifies(tmp_path, SECRET, "garbage", body)
    old = sign(SECRET, body, int(time.time()) - 600)
    assert not node_verifies(tmp_path, SECRET, old, body)
    assert node_verifies(tmp_path, SECRET, old, body, now=time.time() - 600)


def test_check_sends_a_signed_test_ping(receiver, tmp_path):
    answer = make(receiver.url).check()

    (request,) = receiver.received
    assert request.body == b'{"test":true}'
    assert json.loads(request.body) == {"test": True}
    assert node_verifies(tmp_path, SECRET, request.headers["x-signature"], request.body)
    assert answer.status == 200
    assert answer.detail == "The webhook endpoint answered HTTP 200 to a signed test ping."


def test_a_receiver_with_another_secret_refuses_the_check(receiver):
    with pytest.raises(DeliveryError) as caught:
        make(receiver.url, secret="whsec_not_the_receivers_one").check()

    error = caught.value
    assert error.permanent and error.status == 401
    assert str(error) == (
        "The webhook endpoint refused the request: check that it verifies the signature "
        "with this destination's secret (HTTP 401)."
    )


def test_the_secret_never_appears_even_when_the_endpoint_echoes_it(receiver):
    receiver.replies.append(Reply(400, f'{{"expected secret": "{SECRET}"}}'.encode()))

    with pytest.raises(DeliveryError) as caught:
        make(receiver.url).send(BATCH)

    error = caught.value
    assert error.permanent and SECRET not in str(error) + error.detail
    assert error.detail == '{"expected secret": "[redacted]"}'


def test_a_server_error_is_temporary_and_a_retry_is_signed_afresh(receiver, monkeypatch):
    receiver.replies.append(Reply(503, b"busy", headers={"Retry-After": "30"}))
    webhook = make(receiver.url)

    with pytest.raises(DeliveryError) as caught:
        webhook.send(BATCH)
    assert (caught.value.permanent, caught.value.retry_after) == (False, 30.0)

    later = time.time() + 60
    monkeypatch.setattr(time, "time", lambda: later)
    webhook.send(BATCH)
    first, retry = receiver.received
    assert first.body == retry.body
    assert first.headers["x-signature"] != retry.headers["x-signature"]
    assert verify_signature(SECRET, retry.headers["x-signature"], retry.body, now=later)


def test_a_slow_answer_within_the_timeout_is_taken_and_a_later_one_is_temporary(receiver):
    receiver.replies += [Reply(200, b"ok", delay=0.3), Reply(200, b"ok", delay=1.0)]
    webhook = make(receiver.url, timeout_seconds=0.6)

    assert webhook.send(BATCH).status == 200
    with pytest.raises(DeliveryError) as caught:
        webhook.send(BATCH)

    assert not caught.value.permanent
    assert str(caught.value) == "The webhook endpoint did not answer within 0.6 s."


def test_a_query_string_in_the_url_is_not_logged(receiver, caplog):
    caplog.set_level(logging.INFO)

    make(receiver.url + "/in?token=tok_private_5e4d3c").send(BATCH)

    assert receiver.received[0].path == "/in?token=tok_private_5e4d3c"
    assert "tok_private_5e4d3c" not in caplog.text


def test_the_products_webhook_url_is_refused(receiver):
    webhook = make(receiver.url + "/hooks/tok_123", public_url=receiver.url)

    for attempt in (webhook.check, lambda: webhook.send(BATCH)):
        with pytest.raises(DeliveryError) as caught:
            attempt()
        assert caught.value.permanent and "this product's own address" in str(caught.value)
    assert receiver.received == []


def test_a_private_address_is_refused_unless_allowed(receiver):
    with pytest.raises(DeliveryError) as caught:
        make(receiver.url, allow_private_network=False).check()

    assert caught.value.permanent and "is a private address" in str(caught.value)
    assert receiver.received == []


def test_a_missing_url_or_a_short_secret_is_refused_before_sending(receiver):
    with pytest.raises(DeliveryError, match="Set the URL the webhooks are sent to."):
        make("").check()
    with pytest.raises(DeliveryError, match="at least 16 characters"):
        make(receiver.url, secret="short").check()
    assert receiver.received == []


def test_an_empty_batch_sends_nothing(receiver):
    answer = make(receiver.url).send(Batch("stripe-demo"))

    assert receiver.received == [] and answer.status is None


def test_new_secrets_are_long_and_random():
    first, second = new_secret(), new_secret()
    assert first != second and first.startswith("whsec_") and len(first) >= 40


def test_a_big_batch_goes_in_requests_of_at_most_a_megabyte_each_signed(receiver):
    big = [{**track(n), "properties": {"pad": "x" * 30_000}} for n in range(100)]  # ~3 MB
    objects = [ObjectSet("rows", str(n), {"pad": "y" * 30_000}) for n in range(40)]
    answer = make(receiver.url + "/in").send(Batch(source="s", events=big, objects=objects))
    bodies = [r.body for r in receiver.received]
    assert len(bodies) == 5 and all(len(body) <= 1_000_000 for body in bodies)
    assert answer.detail == "100 events and 40 objects in 5 requests."
    sent = [json.loads(body) for body in bodies]
    assert [e["messageId"] for b in sent for e in b["events"]] == [e["messageId"] for e in big]
    assert [o["id"] for b in sent for o in b["objects"]] == [str(n) for n in range(40)]
    assert all(verifying_judge(r).status == 200 for r in receiver.received)
