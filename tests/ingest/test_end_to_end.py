"""A webhook through the whole path: the URL, the queue, a real Celery worker, the
runner and the stores."""

import pytest

from ingest.models import Execution, IngestEvent, StoredEvent, WarehouseObject
from tests.ingest.helpers import (
    STRIPE_CHARGE,
    TRACK_AND_SET,
    finished,
    post_webhook,
    source_running,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_accepted_webhook_becomes_events_and_objects(client, celery_worker):
    source = source_running(TRACK_AND_SET)
    event_id = post_webhook(client, source, STRIPE_CHARGE).json()["id"]
    wait_for(lambda: finished(event_id))
    assert IngestEvent.objects.get(pk=event_id).status == "succeeded"
    assert StoredEvent.objects.get(source=source).message["event"] == "Charge Succeeded"
    assert WarehouseObject.objects.filter(collection="charges", object_id="ch_3NG8").exists()
    assert Execution.objects.get(ingest_event_id=event_id).status == "succeeded"


def test_a_burst_of_webhooks_is_each_executed_once(client, celery_worker):
    source = source_running(TRACK_AND_SET)
    bodies = [
        {**STRIPE_CHARGE, "data": {"object": {**STRIPE_CHARGE["data"]["object"], "id": f"ch_{n}"}}}
        for n in range(20)
    ]
    ids = [post_webhook(client, source, body).json()["id"] for body in bodies]
    wait_for(lambda: all(finished(pk) for pk in ids))
    assert StoredEvent.objects.filter(source=source).count() == 20
    assert Execution.objects.filter(ingest_event_id__in=ids).count() == 20
    assert WarehouseObject.objects.filter(collection="charges").count() == 20


def test_a_retried_error_is_retried_by_the_worker_then_dead_lettered(
    client, celery_worker, settings
):
    settings.RETRY_BACKOFF_BASE_S = 0.01
    settings.RETRY_BACKOFF_CAP_S = 0.05
    source = source_running("async function onRequest() { throw new RetryError('later'); }")
    event_id = post_webhook(client, source).json()["id"]
    wait_for(lambda: finished(event_id))
    event = IngestEvent.objects.get(pk=event_id)
    assert event.status == "failed" and event.attempts == 5
    assert list(event.executions.order_by("attempt").values_list("status", flat=True)) == (
        ["retrying"] * 4 + ["failed"]
    )


def test_what_a_webhook_produced_reaches_a_destination_through_the_worker(
    client, celery_worker, settings
):
    from ingest.models import Delivery, Destination
    from tests.ingest.deliver.receiver import Receiver, serve

    settings.DESTINATIONS_ALLOW_PRIVATE_NETWORK = True
    running = serve(Receiver())
    receiver = next(running)
    source = source_running(TRACK_AND_SET)
    Destination.objects.create(
        workspace=source.workspace, name="Collector", kind="segment",
        config={"preset": "custom", "base_url": receiver.url}, credentials={"write_key": "wk"},
    )  # fmt: skip
    event_id = post_webhook(client, source, STRIPE_CHARGE).json()["id"]
    wait_for(lambda: Delivery.objects.filter(ingest_event_id=event_id, status="delivered"))
    assert [r.path for r in receiver.received] == ["/v1/batch", "/v1/set"]
    running.close()
