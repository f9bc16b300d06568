"""Deliveries to destinations: what a webhook's run stored reaches each destination the
source sends to, batched, retried, or kept as a dead letter (docs/destinations.md).
Against a local receiver that answers as each test tells it."""

import base64
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from ingest import queue, services
from ingest.models import Delivery, Destination, IngestEvent
from tests.ingest.deliver.receiver import Reply
from tests.ingest.helpers import (
    STRIPE_CHARGE,
    TRACK_AND_SET,
    deploy_new_version,
    post_webhook,
    source_running,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def turns():
    """Nothing reaches the broker; yields the mock through which turns are queued.
    Each test starts with no turn lingering (ids repeat from one test to the next)."""
    with (
        mock.patch("ingest.queue.broker") as broker,
        mock.patch("ingest.queue._delivery_turns", queue._Lingering()),
        mock.patch("ingest.queue.execute_soon"),
        mock.patch("ingest.queue.retry"),
    ):
        yield broker


def segment(workspace, receiver, name="Collector", **fields) -> Destination:
    return Destination.objects.create(
        workspace=workspace, name=name, kind="segment",
        config={"preset": "custom", "base_url": receiver.url},
        credentials={"write_key": "wk_1"}, **fields,
    )  # fmt: skip


def run_webhook(client, source, body=STRIPE_CHARGE) -> int:
    event_id = post_webhook(client, source, body).json()["id"]
    services.ingest_event_execute(ingest_event_id=event_id)
    return event_id


def charge(n: int) -> dict:
    body = json.loads(json.dumps(STRIPE_CHARGE))
    body["data"]["object"].update(id=f"ch_{n}", customer=f"cus_{n}")
    return body


def deliver(destination) -> int:
    return services.destination_deliver(destination_id=destination.pk)


def test_events_and_objects_reach_the_destination_with_its_write_key(client, receiver, turns):
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    assert deliver(destination) == 1
    batch, objects = receiver.received
    assert batch.path == "/v1/batch" and objects.path == "/v1/set"
    assert batch.headers["authorization"] == "Basic " + base64.b64encode(b"wk_1:").decode()
    assert [m["event"] for m in batch.json()["batch"]] == ["Charge Succeeded"]
    assert objects.json() == {
        "collection": "charges",
        "objects": [{"id": "ch_3NG8", "properties": {"amount": 2000}}],
    }
    delivery = Delivery.objects.get(ingest_event_id=event_id)
    assert (delivery.status, delivery.event_count, delivery.object_count) == ("delivered", 1, 1)
    assert delivery.delivered_at is not None


def test_the_record_asks_for_one_turn_of_the_destination_soon(
    client, receiver, turns, settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_LINGER_MS = 200
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        run_webhook(client, source)
        run_webhook(client, source, charge(2))  # within the linger: the same turn
    sent = [c for c in turns.send.call_args_list if c.args[0] == "ingest.deliver"]
    assert [(c.args[1], c.kwargs["countdown"]) for c in sent] == [(destination.pk, 0.2)]


def test_webhooks_recorded_together_go_in_one_request(client, receiver, turns):
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    for n in range(5):
        run_webhook(client, source, charge(n))
    assert deliver(destination) == 5
    batches = [r.json() for r in receiver.received if r.path == "/v1/batch"]
    assert len(batches) == 1 and len(batches[0]["batch"]) == 5


def test_a_server_error_is_retried_after_a_backoff(client, receiver, turns, settings):
    settings.DELIVERY_BACKOFF_BASE_S = 60
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    receiver.replies = [Reply(503)]
    assert deliver(destination) == 1
    delivery = Delivery.objects.get(ingest_event_id=event_id)
    assert (delivery.status, delivery.http_status, delivery.attempts) == ("retrying", 503, 1)
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert deliver(destination) == 0  # not due yet: nothing is sent
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert deliver(destination) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("delivered", 2, "")


def test_a_failed_turn_queues_the_next_turn_for_when_the_retry_is_due(
    client, receiver, turns, settings
):
    settings.DELIVERY_BACKOFF_BASE_S = 60
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    receiver.replies = [Reply(503)]
    deliver(destination)
    due = Delivery.objects.get(ingest_event_id=event_id).next_attempt_at
    sent = [c for c in turns.send.call_args_list if c.args[0] == "ingest.deliver"]
    assert [c.args[1] for c in sent] == [destination.pk]
    # Queued for the retry's time (not left for the sweep, which comes much later).
    expected = (due - timezone.now()).total_seconds()
    assert expected <= sent[0].kwargs["countdown"] <= expected + 1
    receiver.replies = [Reply(400)]  # refused for good: a dead letter, no more turns
    Delivery.objects.update(next_attempt_at=timezone.now())
    turns.reset_mock()
    deliver(destination)
    assert Delivery.objects.get(ingest_event_id=event_id).status == "failed"
    assert not [c for c in turns.send.call_args_list if c.args[0] == "ingest.deliver"]


def test_retry_after_is_honoured(client, receiver, turns, settings):
    settings.DELIVERY_BACKOFF_BASE_S = 1
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    receiver.replies = [Reply(429, headers={"Retry-After": "120"})]
    deliver(destination)
    delivery = Delivery.objects.get(ingest_event_id=event_id)
    assert delivery.status == "retrying"
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=110)


def test_a_client_error_makes_a_dead_letter_that_replays(
    client, receiver, turns, owner_api, workspace
):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    receiver.replies = [Reply(400)]
    deliver(destination)
    delivery = Delivery.objects.get(ingest_event_id=event_id)
    assert delivery.status == "failed" and "400" in delivery.error
    base = f"/api/v1/workspaces/acme/destinations/{destination.pk}/dead-letters/"
    listed = owner_api.get(base).json()
    assert [d["id"] for d in listed["results"]] == [delivery.pk]
    assert owner_api.post(base + "replay/", {"all": True}, format="json").json() == {
        "replayed": [delivery.pk]
    }
    assert deliver(destination) == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_temporary_failures_give_up_after_the_retry_window(client, receiver, turns, settings):
    settings.DELIVERY_RETRY_HOURS = 1
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    Delivery.objects.update(created_at=timezone.now() - timedelta(hours=2))
    receiver.replies = [Reply(500)]
    deliver(destination)
    assert Delivery.objects.get(ingest_event_id=event_id).status == "failed"


def test_an_unreachable_destination_is_retried_and_slows_no_other(client, receiver, turns):
    source = source_running(TRACK_AND_SET)
    down = Destination.objects.create(
        workspace=source.workspace, name="Down", kind="segment",
        config={"preset": "custom", "base_url": "http://127.0.0.1:9"},  # discard: refused
        credentials={"write_key": "wk_2"},
    )  # fmt: skip
    up = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    deliver(down)
    deliver(up)
    statuses = dict(
        Delivery.objects.filter(ingest_event_id=event_id).values_list("destination__name", "status")
    )
    assert statuses == {"Down": "retrying", "Collector": "delivered"}


def test_a_source_sends_only_to_the_destinations_it_chose(
    client, receiver, turns, owner_api, workspace
):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    chosen, other = segment(workspace, receiver), segment(workspace, receiver, name="Other")
    url = f"/api/v1/workspaces/acme/sources/{source.slug}/destinations/"
    answer = owner_api.put(url, {"destinations": [chosen.pk]}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["destinations"] == [chosen.pk]
    event_id = run_webhook(client, source)
    assert list(
        Delivery.objects.filter(ingest_event_id=event_id).values_list("destination", flat=True)
    ) == [chosen.pk]
    owner_api.put(url, {"destinations": None}, format="json")  # back to every enabled one
    run_webhook(client, source, charge(2))
    assert Delivery.objects.filter(destination=other).count() == 1


def test_a_disabled_destination_and_one_of_objects_only_get_what_they_take(client, receiver, turns):
    source = source_running(TRACK_AND_SET)
    segment(source.workspace, receiver, name="Off", enabled=False)
    objects_only = segment(source.workspace, receiver, name="Objects", messages="objects")
    run_webhook(client, source)
    assert list(Delivery.objects.values_list("destination", flat=True)) == [objects_only.pk]
    deliver(objects_only)
    assert [r.path for r in receiver.received] == ["/v1/set"]


def test_output_already_delivered_is_not_sent_again(client, receiver, turns):
    code = TRACK_AND_SET.replace(
        "userId: charge.customer,", "userId: charge.customer, messageId: body.id,"
    )
    source = source_running(code)
    destination = segment(source.workspace, receiver)
    first = run_webhook(client, source)
    deliver(destination)
    # The sender posts the same webhook again: same message id, already stored.
    second = run_webhook(client, source)
    deliver(destination)
    assert [r.path for r in receiver.received].count("/v1/batch") == 1
    assert Delivery.objects.get(ingest_event_id=first).event_count == 1
    assert Delivery.objects.get(ingest_event_id=second).event_count == 0


def test_the_sweep_queues_turns_that_were_lost(client, receiver, turns, settings):
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    run_webhook(client, source)
    assert services.deliveries_sweep() == []  # due, but not late yet
    Delivery.objects.update(
        next_attempt_at=timezone.now() - timedelta(seconds=settings.SWEEP_GRACE_S + 1)
    )
    assert services.deliveries_sweep() == [destination.pk]


def test_a_run_that_failed_delivers_nothing(client, receiver, turns):
    source = source_running(TRACK_AND_SET)
    segment(source.workspace, receiver)
    event_id = run_webhook(client, source, {"type": "charge.refunded"})
    assert IngestEvent.objects.get(pk=event_id).status == "failed"
    assert not Delivery.objects.exists()


FLAKY_THEN_FIXED = """
async function onRequest(request) {
  const body = request.json();
  if (request.headers.get('x-break')) throw new EventNotSupported('broken for this one');
  Segment.track({ event: 'Charge Succeeded', userId: 'u1', messageId: body.id });
}
"""


@pytest.mark.parametrize("redeliver", [False, True])
def test_a_replay_redelivers_stored_message_ids_only_when_asked(
    client, receiver, turns, owner_api, workspace, redeliver
):
    source = source_running(FLAKY_THEN_FIXED, workspace=workspace)
    destination = segment(workspace, receiver)
    run_webhook(client, source)  # stored and delivered: messageId evt_1NG8…
    deliver(destination)
    broken = post_webhook(client, source, STRIPE_CHARGE, HTTP_X_BREAK="1").json()["id"]
    services.ingest_event_execute(ingest_event_id=broken)
    assert IngestEvent.objects.get(pk=broken).status == "failed"
    deploy_new_version(source, FLAKY_THEN_FIXED.replace("request.headers.get('x-break')", "false"))
    replay = {"ids": [broken], "version": "deployed", "redeliver": redeliver}
    url = f"/api/v1/workspaces/acme/sources/{source.slug}/dead-letters/replay/"
    assert owner_api.post(url, replay, format="json").json() == {"replayed": [broken]}
    services.ingest_event_execute(ingest_event_id=broken)
    deliver(destination)
    batches = [r.json()["batch"] for r in receiver.received if r.path == "/v1/batch"]
    assert len(batches) == (2 if redeliver else 1)
    assert {m["messageId"] for b in batches for m in b} == {STRIPE_CHARGE["id"]}


def test_deliveries_hold_at_most_half_of_a_workers_threads(client, receiver, turns):
    from ingest.deliver.slots import Slots

    slots = Slots()
    slots.count_threads_with(lambda: 4)
    source = source_running(TRACK_AND_SET)
    first, second, third = (segment(source.workspace, receiver, name=f"D{n}") for n in range(3))
    run_webhook(client, source)
    with mock.patch("ingest.deliver.slots", slots):
        assert slots.take(first.pk) and slots.take(second.pk)  # two turns under way
        assert deliver(third) == 0  # no third thread: queued again in a moment
        sent = [c for c in turns.send.call_args_list if c.args[:2] == ("ingest.deliver", third.pk)]
        assert sent[-1].kwargs["countdown"] == 0.5
        assert deliver(first) == 0  # a destination's second turn waits for its first
        slots.give_back(second.pk)
        assert deliver(third) == 1
    assert Delivery.objects.get(destination=third).status == "delivered"


def test_a_batch_refused_for_good_fails_only_the_webhooks_the_destination_refuses(
    client, receiver, turns
):
    receiver.judge = lambda r: Reply(400) if b"cus_bad" in r.body else Reply(200)
    source = source_running(TRACK_AND_SET)
    destination = segment(source.workspace, receiver)
    good, bad = charge(1), charge(2)
    bad["data"]["object"]["customer"] = "cus_bad"
    ids = [run_webhook(client, source, body) for body in (good, bad)]
    assert deliver(destination) == 2
    statuses = dict(Delivery.objects.values_list("ingest_event_id", "status"))
    assert statuses == {ids[0]: "delivered", ids[1]: "failed"}


def test_a_turn_sends_a_bounded_number_of_events_and_the_next_turn_the_rest(
    client, receiver, turns
):
    code = """async function onRequest(request) {
      for (let i = 0; i < 5; i++) Segment.track({ event: 'Row', userId: 'u' + i });
    }"""
    source = source_running(code)
    destination = segment(source.workspace, receiver)
    event_id = run_webhook(client, source)
    with mock.patch("ingest.deliver.sending.MAX_TURN_ROWS", 3):
        assert deliver(destination) == 1
        delivery = Delivery.objects.get(ingest_event_id=event_id)
        assert (delivery.status, delivery.event_count) == ("pending", 3)
        queued = [c.args for c in turns.send.call_args_list if c.args[0] == "ingest.deliver"]
        assert queued[-1] == ("ingest.deliver", destination.pk)  # the next turn, at once
        assert deliver(destination) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.event_count) == ("delivered", 5)
    sent = [len(r.json()["batch"]) for r in receiver.received if r.path == "/v1/batch"]
    assert sent == [3, 2]


def test_the_last_error_goes_once_a_later_delivery_is_taken(
    client, receiver, turns, owner_api, workspace
):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    destination = segment(workspace, receiver)
    url = f"/api/v1/workspaces/acme/sources/{source.slug}/destinations/"
    last_error = lambda: owner_api.get(url).json()["receiving"][0]["last_error"]  # noqa: E731
    run_webhook(client, source)
    receiver.replies = [Reply(400)]
    deliver(destination)
    assert "400" in last_error()["message"]  # a dead letter of the destination
    run_webhook(client, source, charge(2))
    receiver.replies = [Reply(200)]
    assert deliver(destination) == 1
    assert last_error() is None  # the destination works again: no error shown
    stats = owner_api.get(url).json()["receiving"][0]
    assert (stats["delivered"], stats["failed"]) == (1, 1)  # the dead letter is still counted
    listed = owner_api.get("/api/v1/workspaces/acme/destinations/").json()["results"][0]
    assert listed["stats"]["last_error"] is None
    run_webhook(client, source, charge(3))
    receiver.replies = [Reply(400)]
    deliver(destination)
    assert "400" in last_error()["message"]  # failing after that success: shown again
