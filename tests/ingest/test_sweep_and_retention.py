"""The sweep queues again what a lost task left behind; retention deletes old rows."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from ingest import services
from ingest.models import Execution, IngestEvent
from tests.ingest.helpers import TRACK_AND_SET, post_webhook, source_running

pytestmark = pytest.mark.django_db
Status = IngestEvent.Status


@pytest.fixture
def source():
    return source_running(TRACK_AND_SET)


def accept(client, source) -> int:
    with mock.patch("ingest.queue.execute_soon"):
        return post_webhook(client, source).json()["id"]


def test_the_sweep_queues_lost_and_abandoned_events(client, source, settings):
    settings.SWEEP_GRACE_S = 60
    long_ago = timezone.now() - timedelta(hours=1)
    lost = accept(client, source)  # its task vanished with a broker restart
    IngestEvent.objects.filter(pk=lost).update(next_attempt_at=long_ago)
    abandoned = accept(client, source)  # its worker was killed mid-run
    IngestEvent.objects.filter(pk=abandoned).update(status=Status.RUNNING, claimed_at=long_ago)
    fresh = accept(client, source)  # its task is on its way
    running = accept(client, source)  # a worker is on it right now
    IngestEvent.objects.filter(pk=running).update(status=Status.RUNNING, claimed_at=timezone.now())
    with mock.patch("ingest.queue.execute") as queued:
        swept = services.ingest_events_sweep()
    assert sorted(swept) == sorted([lost, abandoned])
    queued.assert_called_once()
    assert sorted(queued.call_args.args[0]) == sorted([lost, abandoned])
    assert fresh not in swept and running not in swept


def test_a_swept_event_runs_once_even_if_its_old_task_shows_up(client, source):
    event_id = accept(client, source)
    with mock.patch("ingest.queue.deliver"):
        first = services.ingest_event_execute(ingest_event_id=event_id)
        again = services.ingest_event_execute(ingest_event_id=event_id)
    assert first.status == "succeeded" and again is None


def test_retention_deletes_old_finished_events_only(client, source, settings):
    settings.RETENTION_DAYS = 30
    old, recent, old_pending = (accept(client, source) for _ in range(3))
    with mock.patch("ingest.queue.deliver"):
        services.ingest_event_execute(ingest_event_id=old)
        services.ingest_event_execute(ingest_event_id=recent)
    ago = timezone.now() - timedelta(days=31)
    IngestEvent.objects.filter(pk__in=[old, old_pending]).update(received_at=ago)
    Execution.objects.filter(ingest_event_id=old).update(started_at=ago)
    services.retention_cleanup()
    assert set(IngestEvent.objects.values_list("pk", flat=True)) == {recent, old_pending}
    assert Execution.objects.filter(ingest_event_id=old).count() == 0


def test_deliveries_whose_turn_was_lost_get_a_turn_again(client, source, settings):
    from ingest.models import Delivery, Destination

    settings.SWEEP_GRACE_S = 60
    destination = Destination.objects.create(
        workspace=source.workspace, name="Down", kind="segment",
        config={"preset": "custom", "base_url": "http://127.0.0.1:9"},
        credentials={"write_key": "k"},
    )  # fmt: skip
    event_id = accept(client, source)
    with mock.patch("ingest.queue.deliver"):
        services.ingest_event_execute(ingest_event_id=event_id)  # its turn is lost
    assert services.deliveries_sweep() == []  # not late yet
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    with mock.patch("ingest.queue.deliver") as queued:
        assert services.deliveries_sweep() == [destination.pk]
    queued.assert_called_once_with(destination.pk)
    Delivery.objects.update(status=Delivery.Status.DELIVERED)
    assert services.deliveries_sweep() == []
