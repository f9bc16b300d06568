"""Dead letters are listed per source and replayed one by one or in bulk, against the
pinned version or the deployed one; replays are executions too."""

from unittest import mock

import pytest

from ingest import services
from ingest.models import Execution, IngestEvent, StoredEvent
from tests.ingest.helpers import TRACK_AND_SET, deploy_new_version, post_webhook, source_running

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_queue")]
BROKEN = "async function onRequest() { throw new ValidationError('bad mapping'); }"


@pytest.fixture
def source(workspace):
    return source_running(BROKEN, workspace=workspace)


def dead_letter(client, source) -> int:
    event_id = post_webhook(client, source).json()["id"]
    services.ingest_event_execute(ingest_event_id=event_id)
    return event_id


def url(source, suffix=""):
    return f"/api/v1/workspaces/acme/sources/{source.slug}/dead-letters/{suffix}"


def test_dead_letters_are_listed_with_every_attempt(client, source, owner_api):
    event_id = dead_letter(client, source)
    listed = owner_api.get(url(source)).json()
    assert listed["count"] == 1
    letter = listed["results"][0]
    assert letter["id"] == event_id and '"charge.succeeded"' in letter["body"]
    assert letter["executions"][0]["error"]["name"] == "ValidationError"
    assert letter["executions"][0]["error"]["message"].endswith("bad mapping")


def test_replay_one_against_the_deployed_version(client, source, owner_api):
    first, second = dead_letter(client, source), dead_letter(client, source)
    deploy_new_version(source, TRACK_AND_SET)
    response = owner_api.post(url(source, "replay/"), {"ids": [first], "version": "deployed"})
    assert response.status_code == 200 and response.json() == {"replayed": [first]}
    execution = services.ingest_event_execute(ingest_event_id=first)
    assert execution.status == Execution.Status.SUCCEEDED and execution.is_replay
    assert execution.version == source.function.deployed_version
    assert StoredEvent.objects.filter(ingest_event_id=first).count() == 1
    assert IngestEvent.objects.get(pk=second).status == IngestEvent.Status.FAILED


def test_replay_all_against_the_pinned_version(client, source, owner_api):
    ids = sorted(dead_letter(client, source) for _ in range(3))
    response = owner_api.post(url(source, "replay/"), {"all": True}, format="json")
    assert sorted(response.json()["replayed"]) == ids
    assert set(IngestEvent.objects.values_list("status", flat=True)) == {"pending"}
    assert set(IngestEvent.objects.values_list("version", flat=True)) == {source.version_id}
    execution = services.ingest_event_execute(ingest_event_id=ids[0])
    assert execution.status == Execution.Status.FAILED and execution.is_replay
    assert execution.attempt == 1  # a fresh round of attempts


def test_replay_is_queued_on_commit(client, source, owner_api, django_capture_on_commit_callbacks):
    event_id = dead_letter(client, source)
    with (
        mock.patch("ingest.queue.execute") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        owner_api.post(url(source, "replay/"), {"ids": [event_id]}, format="json")
    queued.assert_called_once_with([event_id])


def test_replay_needs_ids_or_all(source, owner_api):
    response = owner_api.post(url(source, "replay/"), {}, format="json")
    assert response.status_code == 400
    assert "ids" in str(response.json())


def test_ids_of_other_sources_or_live_events_are_ignored(client, source, owner_api, workspace):
    other = source_running(BROKEN, workspace=workspace)
    foreign = dead_letter(client, other)
    response = owner_api.post(url(source, "replay/"), {"ids": [foreign]}, format="json")
    assert response.json() == {"replayed": []}
    assert IngestEvent.objects.get(pk=foreign).status == IngestEvent.Status.FAILED


def test_a_member_reads_dead_letters_but_cannot_replay(client, source, member_user, api_client_for):
    event_id = dead_letter(client, source)
    api = api_client_for(member_user, source.workspace)
    assert api.get(url(source)).status_code == 200
    refused = api.post(url(source, "replay/"), {"ids": [event_id]}, format="json")
    assert refused.status_code == 403
    assert IngestEvent.objects.get(pk=event_id).status == IngestEvent.Status.FAILED


def test_another_workspace_sees_404(client, source, outsider, api_client_for):
    from catalog.models import Workspace

    api = api_client_for(outsider, Workspace.objects.get(slug="other"))
    assert api.get(url(source)).status_code == 404
    assert api.post(url(source, "replay/"), {"all": True}, format="json").status_code == 404
