"""Gradual rollout: a share of a source's webhooks runs on a new version, each keeps its
version through retries and replays, and a clearly failing version is rolled back."""

import random
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from catalog.models import AuditEntry, Source
from catalog.services import function_deploy
from ingest import services
from ingest.models import Execution, IngestEvent
from ingest.receive import IncomingWebhook
from ingest.rollouts import ErrorRate, clearly_worse
from tests.factories import member
from tests.ingest.helpers import TRACK_AND_SET, deploy_new_version, post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]

# Fails on every twentieth webhook, whichever version runs it: noise, not a regression.
NOISY = """\
async function onRequest(request) {
  const n = request.json().n;
  if (n % 20 === 0) throw new ValidationError(`webhook ${n} is malformed`);
  Segment.track({ event: 'Seen', userId: String(n) });
}
"""
NOISY_TOO = NOISY.replace("'Seen'", "'Seen again'")
BROKEN = "async function onRequest() { throw new ValidationError('mapping broke'); }"
RETRIED = "async function onRequest() { throw new RetryError('not yet'); }"


@pytest.fixture(autouse=True)
def _seeded_split(monkeypatch, settings):
    """The split draws from its own seeded generator: the same webhooks on each run. The
    webhooks come faster than a sender may send them: no rate limit."""
    monkeypatch.setattr("ingest.receive.sources.random", random.Random(20261202))
    settings.WEBHOOK_RATE_LIMIT_PER_SECOND = 0


def url(source, suffix=""):
    return f"/api/v1/workspaces/acme/sources/{source.slug}/rollout/{suffix}"


def rolling(code_old, code_new, share, workspace) -> Source:
    source = source_running(code_old, workspace=workspace)
    new = deploy_new_version(source, code_new)
    source.rollout_version, source.rollout_share = new, share
    source.rollout_started_at = timezone.now()
    source.save()
    return source


def accept_many(source, count: int) -> list[int]:
    """Webhooks {"n": 0…count-1} through the accept stage, as the webhook URL takes them."""
    ids = []
    for n in range(count):
        webhook = IncomingWebhook(
            "POST", "/hooks/x", "", {"Content-Type": "application/json"}, f'{{"n": {n}}}'.encode()
        )
        ids.append(services.webhook_accept(token=source.webhook_token, webhook=webhook).event.pk)
    return ids


def versions_of(ids) -> dict[int, int]:
    counts: dict[int, int] = {}
    for version_id in IngestEvent.objects.filter(pk__in=ids).values_list("version_id", flat=True):
        counts[version_id] = counts.get(version_id, 0) + 1
    return counts


def test_a_share_of_2000_webhooks_runs_on_the_new_version(workspace):
    source = rolling(TRACK_AND_SET, TRACK_AND_SET, 10, workspace)
    counts = versions_of(accept_many(source, 2000))
    assert set(counts) == {source.version_id, source.rollout_version_id}
    assert 150 <= counts[source.rollout_version_id] <= 250  # 10 % ± 5 points of 2,000


def test_a_webhook_keeps_its_version_through_its_retries(client, workspace):
    source = rolling(TRACK_AND_SET, RETRIED, 100, workspace)
    event_id = post_webhook(client, source).json()["id"]
    for _ in range(3):
        IngestEvent.objects.filter(pk=event_id).update(next_attempt_at=timezone.now())
        services.ingest_event_execute(ingest_event_id=event_id)
    versions = set(Execution.objects.filter(ingest_event_id=event_id).values_list("version_id"))
    assert versions == {(source.rollout_version_id,)}


def test_a_replay_on_the_pinned_version_keeps_each_dead_letters_side(workspace, owner_api):
    source = rolling(BROKEN, BROKEN, 50, workspace)
    ids = accept_many(source, 40)
    services.ingest_events_execute(ingest_event_ids=ids)
    before = dict(IngestEvent.objects.filter(pk__in=ids).values_list("pk", "version_id"))
    assert set(before.values()) == {source.version_id, source.rollout_version_id}
    response = owner_api.post(
        f"/api/v1/workspaces/acme/sources/{source.slug}/dead-letters/replay/", {"all": True}
    )
    assert sorted(response.json()["replayed"]) == sorted(ids)
    services.ingest_events_execute(ingest_event_ids=ids)
    replays = Execution.objects.filter(ingest_event_id__in=ids, is_replay=True)
    assert dict(replays.values_list("ingest_event_id", "version_id")) == before


def test_a_clearly_failing_version_is_rolled_back(workspace):
    source = rolling(NOISY, BROKEN, 50, workspace)
    services.ingest_events_execute(ingest_event_ids=accept_many(source, 120))
    assert services.rollouts_watch() == [source.pk]
    source.refresh_from_db()
    assert source.rollout_version is None and source.version.number == 1
    assert source.rollback_note.startswith("Version 2 failed ")
    assert "Every webhook runs on version 1 again." in source.rollback_note
    entry = AuditEntry.objects.get(action="source.rollout_rollback")
    assert entry.actor is None and entry.details["automatic"] is True
    assert source.rolled_back_version.number == 2
    assert abs(source.rolled_back_at - entry.created_at) < timedelta(seconds=1)
    assert versions_of(accept_many(source, 50)) == {source.version_id: 50}


def test_noise_on_both_versions_rolls_nothing_back(workspace):
    source = rolling(NOISY, NOISY_TOO, 50, workspace)
    ids = accept_many(source, 600)
    services.ingest_events_execute(ingest_event_ids=ids)
    failed = Execution.objects.filter(ingest_event_id__in=ids, status="failed")
    assert failed.count() == 30  # every twentieth webhook, on both versions
    assert services.rollouts_watch() == []
    source.refresh_from_db()
    assert source.rollout_version_id is not None and source.rollback_note == ""


@pytest.mark.parametrize(
    ("new", "old", "worse"),
    [
        (ErrorRate(29, 29), ErrorRate(200, 0), False),  # too few executions of the new one
        (ErrorRate(100, 9), ErrorRate(200, 10), False),  # 9 % against 5 %: within the margin
        (ErrorRate(40, 6), ErrorRate(200, 2), True),  # 15 % against 1 %: beyond chance
        (ErrorRate(30, 5), ErrorRate(30, 2), False),  # 17 % against 7 %: chance could do it
        (ErrorRate(30, 30), ErrorRate(0, 0), True),  # nothing to compare with: all failed
    ],
)
def test_what_counts_as_clearly_worse(new, old, worse):
    assert clearly_worse(new, old) is worse


def test_start_change_and_promote_through_the_api(client, workspace, owner_api):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    deploy_new_version(source, TRACK_AND_SET)
    started = owner_api.post(url(source), {"version": 2, "share": 10}, format="json")
    assert started.status_code == 200, started.json()
    assert started.json()["rollout"]["version"] == 2 and started.json()["rollout"]["share"] == 10
    changed = owner_api.patch(url(source), {"share": 100}, format="json").json()
    assert changed["rollout"]["share"] == 100
    event_id = post_webhook(client, source).json()["id"]
    services.ingest_event_execute(ingest_event_id=event_id)
    state = owner_api.get(url(source)).json()
    assert state["new"] == {"version": 2, "executions": 1, "errors": 0, "error_rate": 0.0}
    assert state["old"]["version"] == 1
    promoted = owner_api.post(url(source, "promote/"))
    assert promoted.status_code == 200
    assert promoted.json()["version"] == 2 and promoted.json()["rollout"] is None
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-4:] == [
        "source.rollout_start", "source.rollout_share", "source.rollout_promote", "source.upgrade",
    ]  # fmt: skip


def test_a_manual_rollback_and_a_dismissed_note(workspace, owner_api):
    source = rolling(TRACK_AND_SET, BROKEN, 50, workspace)
    before = timezone.now()
    ended = owner_api.delete(url(source)).json()
    assert ended["rollout"] is None and ended["rollback_note"] == ""
    rolled_back = ended["last_rollback"]
    assert rolled_back["version"] == 2
    assert before <= datetime.fromisoformat(rolled_back["at"]) <= timezone.now()
    Source.objects.filter(pk=source.pk).update(rollback_note="Version 2 failed …")
    dismissed = owner_api.delete(url(source)).json()
    assert dismissed["rollback_note"] == "" and dismissed["last_rollback"] == rolled_back


def test_the_version_rolled_back_is_not_offered_until_the_source_moves(workspace, owner_api):
    """The source stays behind v2, but its page offers no upgrade to v2 right after
    v2's rollout was rolled back; a new rollout or a move makes the rollback history."""
    source = rolling(TRACK_AND_SET, TRACK_AND_SET, 50, workspace)
    source.function.refresh_from_db()
    assert source.offers_upgrade
    owner_api.delete(url(source))
    source = Source.objects.select_related("function").get(pk=source.pk)
    assert source.is_behind and not source.offers_upgrade
    again = owner_api.post(url(source), {"version": 2, "share": 10}, format="json").json()
    assert again["last_rollback"] is None
    owner_api.delete(url(source))
    moved = owner_api.post(f"/api/v1/workspaces/acme/sources/{source.slug}/upgrade/",
                           {"version": 2}, format="json")  # fmt: skip
    assert moved.status_code == 200, moved.json()
    assert owner_api.get(url(source)).json()["last_rollback"] is None
    deploy_new_version(source, TRACK_AND_SET)
    source = Source.objects.select_related("function").get(pk=source.pk)
    assert source.offers_upgrade


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"version": 2, "share": 0}, "share", "a whole number from 1 to 100"),
        ({"version": 2, "share": 101}, "share", "a whole number from 1 to 100"),
        ({"version": 1, "share": 10}, "version", "already runs version 1"),
        ({"version": 7, "share": 10}, "version", "no version 7"),
    ],
)
def test_a_rollout_that_cannot_start_says_why(workspace, owner_api, body, field, words):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    deploy_new_version(source, TRACK_AND_SET)
    response = owner_api.post(url(source), body, format="json")
    assert response.status_code == 400
    assert words in str(response.json()["errors"][field])


def test_a_second_rollout_waits_for_the_first(workspace, owner_api):
    source = rolling(TRACK_AND_SET, TRACK_AND_SET, 10, workspace)
    deploy_new_version(source, TRACK_AND_SET)
    response = owner_api.post(url(source), {"version": 3, "share": 10}, format="json")
    assert response.status_code == 400
    assert "A rollout of version 2 is running" in str(response.json()["errors"]["version"])


def test_only_managers_start_rollouts_and_other_workspaces_see_nothing(
    workspace, api_client_for, outsider
):
    source = source_running(TRACK_AND_SET, workspace=workspace)
    deploy_new_version(source, TRACK_AND_SET)
    reader = api_client_for(member(workspace, "member"), workspace)
    assert reader.post(url(source), {"version": 2, "share": 10}, format="json").status_code in (
        403,
        404,
    )
    assert not Source.objects.get(pk=source.pk).rollout_version_id
    other = source_running(TRACK_AND_SET)
    stranger = api_client_for(member(other.workspace, "owner"), other.workspace)
    assert stranger.get(url(source)).status_code == 404


def test_a_deploy_does_not_move_a_following_source_while_its_rollout_runs(workspace, owner):
    source = rolling(TRACK_AND_SET, TRACK_AND_SET, 10, workspace)
    Source.objects.filter(pk=source.pk).update(follow_deployed=True)
    deployment = function_deploy(function=source.function, actor=owner)
    assert [s.pk for s in deployment.held] == [source.pk]
    source.refresh_from_db()
    assert source.version.number == 1 and source.rollout_version.number == 2
