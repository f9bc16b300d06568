"""The Segment-compatible destination against a local Segment-compatible receiver that
checks basic auth and the Tracking API's size limits and records what it took; and the
transport's sorting of answers, shared with the signed webhook."""

import base64
import json
import socket
import time
from email.utils import formatdate

import pytest

from ingest.deliver.destinations.base import Batch, DeliveryError, ObjectSet
from ingest.deliver.destinations.segment import (
    MAX_EVENT_BYTES,
    MAX_OBJECTS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    PRESETS,
    SegmentCompatible,
)
from tests.ingest.deliver.receiver import Receiver, Reply, serve

WRITE_KEY = "wk_live_9f8e7d6c5b4a"
BASIC = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()


def segment_judge(received):
    """What Segment's Tracking and Object APIs would say."""
    if received.headers.get("authorization") != BASIC:
        return Reply(401, b'{"error":"Invalid write key"}')
    if not received.path.endswith(("/v1/batch", "/v1/set")):
        return Reply(404, b"404 page not found")
    if len(received.body) > MAX_REQUEST_BYTES:
        return Reply(400, b'{"error":"batch too large"}')
    if received.path.endswith("/v1/batch"):
        for event in received.json()["batch"]:
            if len(compact(event)) > MAX_EVENT_BYTES:
                return Reply(400, b'{"error":"event too large"}')
    return Reply(200)


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.fixture
def receiver():
    yield from serve(Receiver(segment_judge))


def make(receiver_url, **overrides):
    config = {
        "preset": "custom",
        "base_url": receiver_url,
        "public_url": "https://functions.example.com",
        "allow_private_network": True,
    }
    write_key = overrides.pop("write_key", WRITE_KEY)
    return SegmentCompatible(config | overrides, {"write_key": write_key})


def track(n, size=0):
    return {
        "type": "track",
        "event": "Charge Succeeded",
        "userId": f"u{n}",
        "messageId": f"msg-{n}",
        "timestamp": "2025-01-01T00:00:00.000Z",
        "properties": {"note": "x" * size},
    }


def sent_events(receiver):
    batches = [r.json()["batch"] for r in receiver.received if r.path.endswith("/v1/batch")]
    return [event for batch in batches for event in batch]


def failure(destination, batch=None) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        destination.send(batch or Batch("stripe", events=[track(1)]))
    return caught.value


# --- events ------------------------------------------------------------------------


def test_events_go_in_one_batch_with_the_write_key_as_basic_auth_user(receiver):
    events = [track(1), track(2), track(3)]

    answer = make(receiver.url).send(Batch("stripe", events=events))

    (request,) = receiver.received
    assert request.path == "/v1/batch"
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"batch": events}
    assert (answer.status, answer.refused) == (200, {})
    assert answer.detail == "3 events and 0 objects in 1 request"


def test_a_big_batch_is_split_into_requests_of_at_most_500_kb(receiver):
    events = [track(n, size=30_000) for n in range(40)]  # about 1.2 MB of JSON

    answer = make(receiver.url).send(Batch("stripe", events=events))

    bodies = [r.body for r in receiver.received]
    assert len(bodies) == 3
    assert all(len(body) <= MAX_REQUEST_BYTES for body in bodies)
    # Tight: each request but the last could not have taken the next event too.
    taken = 0
    for body in bodies[:-1]:
        taken += len(json.loads(body)["batch"])
        assert len(body) + 1 + len(compact(events[taken])) > MAX_REQUEST_BYTES
    assert sent_events(receiver) == events  # all of them, in order, once
    assert answer.status == 200 and answer.detail == "40 events and 0 objects in 3 requests"


def test_an_event_over_32_kb_is_refused_alone_and_the_rest_delivered(receiver):
    big = track(2, size=MAX_EVENT_BYTES)
    events = [track(1), big, track(3)]

    answer = make(receiver.url).send(Batch("stripe", events=events))

    assert sent_events(receiver) == [events[0], events[2]]
    assert list(answer.refused) == ["msg-2"]
    assert "over the limit of 32 KB per event" in answer.refused["msg-2"]
    assert f"{len(compact(big)):,} bytes" in answer.refused["msg-2"]
    assert answer.detail == "2 events and 0 objects in 1 request; 1 event refused"


def test_an_event_of_exactly_32_kb_is_sent(receiver):
    event = track(1)
    event["properties"]["note"] = "x" * (MAX_EVENT_BYTES - len(compact(event)))
    assert len(compact(event)) == MAX_EVENT_BYTES

    answer = make(receiver.url).send(Batch("stripe", events=[event]))

    assert sent_events(receiver) == [event] and answer.refused == {}


def test_a_batch_of_only_refused_events_sends_nothing(receiver):
    answer = make(receiver.url).send(Batch("stripe", events=[track(1, size=40_000)]))

    assert receiver.received == []
    assert answer.status is None and list(answer.refused) == ["msg-1"]


# --- objects -----------------------------------------------------------------------


def test_objects_go_to_the_object_api_grouped_by_collection_ten_per_request(receiver):
    charges = [ObjectSet("charges", f"ch_{n}", {"amount": n}) for n in range(12)]
    customers = [ObjectSet("customers", "cus_1", {"email": "a@example.com"})]
    later = ObjectSet("charges", "ch_0", {"status": "refunded"})
    batch = Batch("stripe", events=[track(1)], objects=[*charges, *customers, later])

    answer = make(receiver.url).send(batch)

    batch_request, *sets = receiver.received
    assert batch_request.path == "/v1/batch"
    assert all(r.path == "/v1/set" and r.headers["authorization"] == BASIC for r in sets)
    bodies = [r.json() for r in sets]
    assert [(b["collection"], len(b["objects"])) for b in bodies] == [
        ("charges", MAX_OBJECTS_PER_REQUEST),
        ("charges", 2),
        ("customers", 1),
    ]
    # Two sets of one object in a batch are merged, the later properties winning.
    assert bodies[0]["objects"][0] == {
        "id": "ch_0",
        "properties": {"amount": 0, "status": "refunded"},
    }
    assert bodies[2]["objects"] == [{"id": "cus_1", "properties": {"email": "a@example.com"}}]
    assert answer.detail == "1 event and 14 objects in 4 requests"


def test_a_preset_without_an_object_api_refuses_objects_before_sending_anything(receiver):
    batch = Batch("stripe", events=[track(1)], objects=[ObjectSet("charges", "ch_1", {})])

    error = failure(make(receiver.url, preset="rudderstack"), batch)

    assert error.permanent
    assert str(error) == "RudderStack has no Object API: filter this destination to events."
    assert receiver.received == []


def test_presets_offer_a_base_url_and_say_where_objects_go():
    assert set(PRESETS) == {"segment", "rudderstack", "jitsu", "custom"}
    assert PRESETS["segment"].base_url == "https://api.segment.io"
    assert PRESETS["segment"].objects_base_url == "https://objects.segment.com"
    assert PRESETS["custom"].takes_objects and not PRESETS["jitsu"].takes_objects


# --- check -------------------------------------------------------------------------


def test_check_posts_an_empty_batch(receiver):
    answer = make(receiver.url).check()

    (request,) = receiver.received
    assert (request.path, request.body) == ("/v1/batch", b'{"batch":[]}')
    assert request.headers["authorization"] == BASIC
    assert answer.status == 200
    assert answer.detail.startswith("The endpoint answered HTTP 200 to an empty batch.")


def test_check_takes_a_400_to_the_empty_batch_as_the_key_accepted(receiver):
    receiver.replies.append(Reply(400, b'{"error":"Empty batch payload"}'))

    answer = make(receiver.url, preset="rudderstack").check()

    assert answer.status == 400
    assert "a 400 here means the key was accepted" in answer.detail


def test_check_reports_a_refused_write_key(receiver):
    with pytest.raises(DeliveryError) as caught:
        make(receiver.url, preset="rudderstack", write_key="wk_wrong_0123").check()

    error = caught.value
    assert error.permanent and error.status == 401
    assert str(error) == (
        "RudderStack refused the write key: check that it is the write key of the right "
        "source (HTTP 401)."
    )


def test_check_asks_for_a_missing_base_url_or_write_key(receiver):
    with pytest.raises(DeliveryError) as caught:
        make("", preset="rudderstack").check()
    assert str(caught.value) == (
        "Set the base URL of RudderStack (https://<your-data-plane>.dataplane.rudderstack.com)."
    )
    with pytest.raises(DeliveryError) as caught:
        make(receiver.url, write_key="").check()
    assert str(caught.value).startswith("Set the write key:")
    assert receiver.received == []


# --- answers: temporary and permanent ----------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_server_errors_timeouts_and_rate_limits_are_temporary(receiver, status):
    receiver.replies.append(Reply(status, b'{"error":"try later"}'))

    error = failure(make(receiver.url))

    assert not error.permanent
    assert error.status == status
    assert error.detail == '{"error":"try later"}'
    assert error.retry_after is None


def test_retry_after_in_seconds_is_honoured_on_429(receiver):
    receiver.replies.append(Reply(429, headers={"Retry-After": "120"}))

    error = failure(make(receiver.url))

    assert (error.permanent, error.retry_after) == (False, 120.0)


def test_retry_after_as_an_http_date_is_honoured_on_503(receiver):
    at = time.time() + 90
    receiver.replies.append(Reply(503, headers={"Retry-After": formatdate(at, usegmt=True)}))

    error = failure(make(receiver.url))

    assert not error.permanent
    assert 85 <= error.retry_after <= 90


@pytest.mark.parametrize("status", [400, 404, 409, 413, 422])
def test_other_client_errors_are_permanent(receiver, status):
    receiver.replies.append(Reply(status, b"no"))

    error = failure(make(receiver.url))

    assert error.permanent and error.status == status and error.detail == "no"


def test_a_404_says_what_the_base_url_is(receiver):
    receiver.replies.append(Reply(404, b"404 page not found"))

    error = failure(make(receiver.url + "/v1"))

    assert error.permanent
    assert str(error) == (
        "The endpoint answered HTTP 404 Not Found: no Segment-compatible API there. The base "
        "URL is the part before /v1/batch (https://collector.example.com)."
    )


def test_the_detail_is_the_first_kilobyte_of_the_answer(receiver):
    receiver.replies.append(Reply(500, b"e" * 5000))

    assert failure(make(receiver.url)).detail == "e" * 1024


def test_no_answer_within_the_timeout_is_temporary(receiver):
    receiver.replies.append(Reply(200, delay=2.0))

    started = time.monotonic()
    error = failure(make(receiver.url, timeout_seconds=0.3))

    assert time.monotonic() - started < 1.5
    assert not error.permanent and error.status is None
    assert str(error) == "The endpoint did not answer within 0.3 s."


def test_slow_answers_within_the_timeout_are_taken_each_request_its_own(receiver):
    """The deadline is per request: a send of two requests, each slow but within the
    timeout, takes longer than the timeout and still succeeds."""
    receiver.replies += [Reply(200, delay=0.4), Reply(200, delay=0.4)]
    batch = Batch("stripe", events=[track(1)], objects=[ObjectSet("charges", "ch_1", {})])

    answer = make(receiver.url, timeout_seconds=0.7).send(batch)

    assert answer.status == 200 and answer.seconds > 0.7
    assert [received.path for received in receiver.received] == ["/v1/batch", "/v1/set"]


def test_a_refused_connection_is_temporary():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    error = failure(make(f"http://127.0.0.1:{port}"))

    assert not error.permanent and error.status is None
    assert str(error).startswith(f"Could not reach http://127.0.0.1:{port}/v1/batch (")


def test_a_host_that_does_not_resolve_is_temporary(monkeypatch):
    def not_found(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", not_found)

    error = failure(make("https://collector.invalid"))

    assert not error.permanent
    assert str(error) == "Could not find the host collector.invalid: the name does not resolve."


def test_a_redirect_is_not_followed_and_is_permanent(receiver):
    receiver.replies.append(Reply(301, headers={"Location": "https://api.example.com/v1/batch"}))

    error = failure(make(receiver.url))

    assert len(receiver.received) == 1
    assert error.permanent and error.status == 301
    assert str(error) == (
        "The endpoint answered HTTP 301 Moved Permanently, a redirect to "
        "https://api.example.com/v1/batch: redirects are not followed, set the URL it "
        "redirects to instead."
    )


# --- secrets -----------------------------------------------------------------------


def test_the_write_key_never_appears_even_when_the_endpoint_echoes_it(receiver):
    def echo(received):
        echoed = {"you sent": received.headers["authorization"], "key": WRITE_KEY}
        return Reply(401, json.dumps(echoed).encode(), headers={"X-Echo": WRITE_KEY})

    receiver.judge = echo

    for error in (failure(make(receiver.url)), _check_failure(make(receiver.url))):
        shown = str(error) + error.detail
        assert WRITE_KEY not in shown
        assert base64.b64encode(f"{WRITE_KEY}:".encode()).decode() not in shown
        assert error.detail == '{"you sent": "Basic [redacted]", "key": "[redacted]"}'


def test_the_write_key_never_appears_in_a_redirect_location(receiver):
    location = f"https://collector.example.com/v1/batch?key={WRITE_KEY}#{WRITE_KEY}"
    receiver.replies.append(Reply(302, WRITE_KEY.encode(), headers={"Location": location}))

    error = failure(make(receiver.url))

    assert WRITE_KEY not in str(error) + error.detail


def _check_failure(destination) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        destination.check()
    return caught.value


# --- what may be reached -----------------------------------------------------------


def test_the_products_own_address_is_refused(receiver):
    product = make(receiver.url, public_url=receiver.url)

    for attempt in (product.check, lambda: product.send(Batch("s", events=[track(1)]))):
        with pytest.raises(DeliveryError) as caught:
            attempt()
        assert caught.value.permanent
        assert "is this product's own address" in str(caught.value)
    assert receiver.received == []


def test_the_products_webhook_urls_are_refused_under_another_name(receiver):
    alias = f"http://localhost:{receiver.port}"

    error = failure(make(alias + "/hooks/abc", public_url=receiver.url))

    assert error.permanent and "is this product's own address" in str(error)
    assert receiver.received == []
    # Another path on the same address may be someone else's receiver.
    make(alias + "/collector", public_url=receiver.url).send(Batch("s", events=[track(1)]))
    assert [r.path for r in receiver.received] == ["/collector/v1/batch"]


def test_a_public_url_with_a_path_refuses_only_below_it(receiver):
    public = receiver.url + "/functions"

    error = failure(make(receiver.url + "/functions/hooks", public_url=public))
    assert error.permanent and "own address" in str(error)

    make(receiver.url + "/elsewhere", public_url=public).send(Batch("s", events=[track(1)]))
    assert [r.path for r in receiver.received] == ["/elsewhere/v1/batch"]


def test_private_addresses_are_refused_unless_allowed(receiver):
    error = failure(make(receiver.url, allow_private_network=False))

    assert error.permanent
    assert str(error).startswith("127.0.0.1 is a private address")
    assert "restart the product with DESTINATIONS_ALLOW_PRIVATE_NETWORK=on" in str(error)
    assert receiver.received == []

    make(receiver.url, allow_private_network=True).send(Batch("s", events=[track(1)]))
    assert len(receiver.received) == 1


def test_an_ipv6_address_is_vetted_and_reached_like_any_other():
    for receiver in serve(Receiver(segment_judge, host="::1")):
        error = failure(make(receiver.url, allow_private_network=False))
        assert error.permanent and str(error).startswith("::1 is a private address")

        make(receiver.url).send(Batch("s", events=[track(1)]))
        (request,) = receiver.received
        assert request.headers["host"] == f"[::1]:{receiver.port}"


def test_a_name_is_judged_by_the_address_it_resolves_to(receiver, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host == "collector.example.com":  # a public-looking name for loopback
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    named = f"http://collector.example.com:{receiver.port}"

    error = failure(make(named, allow_private_network=False))
    assert error.permanent and str(error).startswith("collector.example.com is a private address")
    assert receiver.received == []

    # Allowed, the connection goes to the vetted address with the name as Host.
    make(named, allow_private_network=True).send(Batch("s", events=[track(1)]))
    (request,) = receiver.received
    assert request.headers["host"] == f"collector.example.com:{receiver.port}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "ftp://collector.example.com",
            "'ftp://collector.example.com/v1/batch' is not an http:// or https:// URL.",
        ),
        ("https://user:pw@collector.example.com", "The URL holds a user name or password"),
    ],
)
def test_urls_that_cannot_be_used_are_refused(receiver, url, message):
    error = failure(make(url))

    assert error.permanent and str(error).startswith(message)
    assert "pw" not in str(error)
