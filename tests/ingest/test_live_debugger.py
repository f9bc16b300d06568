"""ws/workspaces/<ws>/sources/<slug>/live/ (and ws/sources/<slug>/live/ when the slug
is unambiguous for the user): each execution of the source as it finishes, for the
users who may read the source's logs."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from catalog.models import Membership, Role, Workspace
from functions_ide.asgi import application
from ingest import live
from ingest.models import Execution, IngestEvent
from tests.ingest.live_world import make_source, make_world, release_db_connections, ws_headers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def world():
    yield await sync_to_async(make_world)()
    await release_db_connections()


async def open_socket(path: str, user) -> tuple[WebsocketCommunicator, bool, int | None]:
    communicator = WebsocketCommunicator(application, path, await sync_to_async(ws_headers)(user))
    connected, code = await communicator.connect()
    if not connected:
        await communicator.disconnect()
    return communicator, connected, code


def finished_execution(source, **fields) -> Execution:
    """An execution as the execute service records it (unsaved: only published)."""
    values = dict(
        pk=41, ingest_event_id=12, source_id=source.pk, attempt=1, status="succeeded",
        started_at=timezone.now(), duration_ms=3.14159, event_count=2, object_count=1,
        error=None,
    )  # fmt: skip
    return Execution(**{**values, **fields})


WS_PATH = "/ws/workspaces/acme/sources/stripe-live/live/"


@pytest.mark.parametrize(("who", "code"), [(None, 4401), ("outsider", 4404), ("stranger", 4404)])
async def test_refused_at_connect(world, who, code):
    _, connected, close_code = await open_socket(WS_PATH, getattr(world, who) if who else None)
    assert not connected and close_code == code


async def test_unknown_source_is_refused(world):
    path = "/ws/workspaces/acme/sources/nope/live/"
    _, connected, code = await open_socket(path, world.owner)
    assert not connected and code == 4404


@pytest.mark.parametrize("who", ["owner", "source_admin", "member"])
async def test_readers_of_the_logs_get_each_execution(world, who):
    communicator, connected, _ = await open_socket(WS_PATH, getattr(world, who))
    assert connected
    hello = await communicator.receive_json_from()
    assert hello == {
        "type": "source",
        "source": {"id": world.source.pk, "workspace": "acme", "slug": "stripe-live"},
    }

    failed = {"name": "RetryError", "message": "try later", "stack": ""}
    await sync_to_async(live.publish_executions)([finished_execution(world.source)])
    await sync_to_async(live.publish_executions)(
        [
            finished_execution(
                world.source, pk=42, status="retrying", error=failed, event_count=0,
                logs=[{"level": "log", "message": "a"}, {"level": "warn", "message": "b"}],
            )
        ]
    )  # fmt: skip

    first = await communicator.receive_json_from(timeout=5)
    assert first["type"] == "execution"
    assert first["execution"] | {"started_at": None} == {
        "id": 41, "ingest_event": 12, "version": None, "request": None, "attempt": 1,
        "status": "succeeded", "started_at": None, "duration_ms": 3.14, "event_count": 2,
        "object_count": 1, "error": None, "warnings": 0,
    }  # fmt: skip
    second = (await communicator.receive_json_from(timeout=5))["execution"]
    assert second["status"] == "retrying" and second["error"] == "RetryError: try later"
    assert second["warnings"] == 1
    await communicator.disconnect()


async def test_an_execution_says_its_version_and_request_without_credentials(world):
    communicator, connected, _ = await open_socket(WS_PATH, world.owner)
    await communicator.receive_json_from()
    version = await sync_to_async(lambda: world.source.version)()
    event = IngestEvent(
        pk=12, source=world.source, version=version, method="POST",
        path="/hooks/abcdefghijklmnopqrstuvwxyz", query_string="shop=acme&token=t0ps3cret",
        headers={"Content-Type": "application/json", "Authorization": "Bearer s3cret"},
        raw_body=b'{"id": "ch_1"}',
    )  # fmt: skip
    execution = finished_execution(world.source, version=version, ingest_event=event)
    await sync_to_async(live.publish_executions)([execution])

    shown = (await communicator.receive_json_from(timeout=5))["execution"]
    assert shown["version"] == version.number
    request = shown["request"]
    assert request["method"] == "POST" and request["path"] == "/hooks/abcd…"
    assert request["query"] == [["shop", "acme"], ["token", live.HIDDEN]]
    assert request["headers"] == {"Content-Type": "application/json", "Authorization": live.HIDDEN}
    assert request["content_type"] == "application/json" and request["size"] == 14
    assert "s3cret" not in json.dumps(shown) and "body" not in request
    await communicator.disconnect()


async def test_other_sources_executions_are_not_sent(world):
    other = await sync_to_async(make_source)(world.function, "stripe-test")
    communicator, connected, _ = await open_socket(WS_PATH, world.member)
    await communicator.receive_json_from()
    await sync_to_async(live.publish_executions)([finished_execution(other)])
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_slug_alone_resolves_to_the_users_one_source(world):
    communicator, connected, _ = await open_socket("/ws/sources/stripe-live/live/", world.member)
    assert connected
    assert (await communicator.receive_json_from())["source"]["id"] == world.source.pk
    await sync_to_async(live.publish_executions)([finished_execution(world.source)])
    assert (await communicator.receive_json_from(timeout=5))["type"] == "execution"
    await communicator.disconnect()


async def test_slug_alone_is_refused_when_ambiguous(world):
    await sync_to_async(_join_globex)(world.owner)
    _, connected, code = await open_socket("/ws/sources/stripe-live/live/", world.owner)
    assert not connected and code == 4409
    # With its workspace the same source is served.
    communicator, connected, _ = await open_socket(WS_PATH, world.owner)
    assert connected
    await communicator.disconnect()


async def test_slug_alone_of_another_workspace_is_refused(world):
    _, connected, code = await open_socket("/ws/sources/stripe-live/live/", world.outsider)
    assert not connected and code == 4404


def _join_globex(user) -> None:
    globex = Workspace.objects.get(slug="globex")
    Membership.objects.create(user=user, workspace=globex, role=Role.MEMBER)
