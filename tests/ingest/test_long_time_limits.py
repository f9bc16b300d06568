"""A function of 10 s cannot hold back other workspaces more than one of 1 s can: its
batches are one event, and a turn whose runs are slow ends at about a claim's length,
giving back what it did not run; its claims last as long as its runs may (no other
worker takes a live 10 s run); a default function's lapsed claims are found as soon
as before."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

import ingest.execute
from ingest import queue, services
from ingest.execute import batch_size, claim_timeout
from ingest.execute.sharing import Shares
from ingest.models import IngestEvent
from tests.factories import SourceFactory, deployed_function
from tests.ingest.helpers import STRIPE_CHARGE, TRACK_AND_SET, post_webhook

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]
Status = IngestEvent.Status


def source_with_limit(time_limit_ms=None):
    return SourceFactory(
        function=deployed_function(draft_code=TRACK_AND_SET, time_limit_ms=time_limit_ms)
    )


def accept(client, source, count: int) -> list[int]:
    return [post_webhook(client, source, STRIPE_CHARGE).json()["id"] for _ in range(count)]


def claimed_ago(event_ids: list[int], seconds: float) -> None:
    IngestEvent.objects.filter(pk__in=event_ids).update(
        status=Status.RUNNING, claimed_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_batches_are_sized_by_each_version_s_time_limit(client, settings):
    settings.CLAIM_MARGIN_S = 30.0
    assert (batch_size(), batch_size(1000), batch_size(3000), batch_size(10_000)) == (14, 14, 5, 1)
    slow, quick = source_with_limit(10_000), source_with_limit()
    runs = []
    real = ingest.execute.runtime.execute

    def counting(*, version, invocations):
        runs.append((version.time_limit, len(invocations)))
        return real(version=version, invocations=invocations)

    with mock.patch("ingest.execute.runtime.execute", side_effect=counting):
        services.ingest_events_execute(
            ingest_event_ids=accept(client, slow, 3) + accept(client, quick, 3)
        )
    assert runs == [(10_000, 1), (10_000, 1), (10_000, 1), (1000, 3)]


def test_a_claim_lasts_as_long_as_its_version_s_runs_may(client, settings):
    settings.CLAIM_MARGIN_S = 30.0
    assert claim_timeout(10_000) == timedelta(seconds=40)
    slow, quick = source_with_limit(10_000), source_with_limit()
    [live], [lost] = accept(client, slow, 1), accept(client, quick, 1)
    claimed_ago([live, lost], 35)  # past a 1 s version's claim, within a 10 s one's
    assert services.ingest_event_execute(ingest_event_id=live) is None
    assert services.ingest_event_execute(ingest_event_id=lost).error["name"] == "WorkerLostError"
    claimed_ago([live], 41)
    assert services.ingest_event_execute(ingest_event_id=live).error["name"] == "WorkerLostError"


def test_the_sweep_queues_a_lapsed_claim_by_its_own_version_s_limit(client, settings):
    settings.CLAIM_MARGIN_S = 30.0
    slow, quick = source_with_limit(10_000), source_with_limit()
    [live], [lost] = accept(client, slow, 1), accept(client, quick, 1)
    claimed_ago([live, lost], 35)
    assert services.ingest_events_sweep() == [lost]


def test_a_flood_of_slow_10_s_runs_takes_one_event_per_turn(client):
    flood, quiet = source_with_limit(10_000), source_with_limit()
    backlog = accept(client, flood, 4)
    [quiet_id] = accept(client, quiet, 1)
    with mock.patch.object(ingest.execute, "shares", Shares()), taking(seconds=20):
        turns = [services.ingest_events_execute_next() for _ in range(3)]
    assert [sorted(e.ingest_event_id for e in turn) for turn in turns] == [
        backlog[:1], [quiet_id], backlog[1:2],
    ]  # fmt: skip
    assert queue.broker.send.called  # each turn passed the rest on to another
    # What a turn gave back is due as before: its attempt was not counted.
    left = IngestEvent.objects.filter(pk__in=backlog[2:])
    assert {(e.status, e.attempts, e.claim) for e in left} == {(Status.PENDING, 0, None)}
    assert [e.attempt for turn in turns for e in turn] == [1, 1, 1]


def test_quick_runs_of_a_10_s_function_share_one_turn(client):
    flood = source_with_limit(10_000)
    backlog = accept(client, flood, 4)
    with taking(seconds=0.01):
        turn = services.ingest_events_execute_next()
    assert sorted(e.ingest_event_id for e in turn) == backlog
    assert not IngestEvent.objects.filter(status=Status.PENDING).exists()


def test_a_retry_given_back_is_retrying_again(client):
    source = source_with_limit(10_000)
    first, second = accept(client, source, 2)
    IngestEvent.objects.filter(pk__in=[first, second]).update(
        status=Status.RETRYING, attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    with taking(seconds=20):
        [execution] = services.ingest_events_execute_next()
    assert (execution.ingest_event_id, execution.attempt) == (first, 2)
    given_back = IngestEvent.objects.get(pk=second)
    assert (given_back.status, given_back.attempts, given_back.claim) == (
        Status.RETRYING, 1, None,
    )  # fmt: skip


class taking:
    """Each batch the runner runs takes this long, by the clock a turn reads."""

    def __init__(self, *, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self):
        clock = [timezone.now()]
        real = ingest.execute.runtime.execute

        def run(*, version, invocations):
            clock[0] += timedelta(seconds=self.seconds)
            return real(version=version, invocations=invocations)

        self._patches = [
            mock.patch("ingest.execute.runtime.execute", side_effect=run),
            mock.patch.object(ingest.execute, "timezone", mock.Mock(now=lambda: clock[0])),
        ]
        for patch in self._patches:
            patch.start()

    def __exit__(self, *exc) -> None:
        for patch in self._patches:
            patch.stop()
