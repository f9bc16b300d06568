"""An open websocket (live debugger, catcher) stops getting data once its user loses
access: removed from the workspace, logged out, deactivated, password changed. It is
closed instead of sent to: 4403 when access is lost, 4401 when the session ended."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from catalog import policy
from catalog.models import Membership, Role
from catalog.services.members import member_remove, member_update
from functions_ide.asgi import application
from ingest import consumers, live
from tests.ingest.live_world import HOST, ORIGIN, make_world, release_db_connections
from tests.ingest.test_catcher_socket import post_capture, token_of
from tests.ingest.test_live_debugger import WS_PATH, finished_execution

pytestmark = pytest.mark.django_db(transaction=True)

FORBIDDEN = {"type": "websocket.close", "code": 4403}
SESSION_ENDED = {"type": "websocket.close", "code": 4401}


@pytest.fixture
async def world():
    yield await sync_to_async(make_world)()
    await release_db_connections()


@pytest.fixture
def recheck_every_message(monkeypatch):
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0)


def login(user) -> tuple[list, Client]:
    """A browser's handshake headers for a fresh session of the user, and the client
    holding that session (to log out with)."""
    client = Client()
    client.force_login(user)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
    return [ORIGIN, HOST, cookie], client


async def listen(path: str, user) -> tuple[WebsocketCommunicator, Client]:
    """An accepted socket of the user, its first message (source or captures) read."""
    headers, client = await sync_to_async(login)(user)
    communicator = WebsocketCommunicator(application, path, headers)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.receive_json_from()
    return communicator, client


async def debugger(world, user):
    communicator, client = await listen(WS_PATH, user)
    await publish(world, pk=41)
    assert (await communicator.receive_json_from(timeout=5))["execution"]["id"] == 41
    return communicator, client


async def publish(world, pk: int) -> None:
    await sync_to_async(live.publish_executions)([finished_execution(world.source, pk=pk)])


async def closed_without_data(communicator: WebsocketCommunicator) -> dict:
    """The next output (the close, when access is gone), after which nothing comes."""
    output = await communicator.receive_output(timeout=5)
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()
    return output


def remove(world, user) -> None:
    membership = Membership.objects.select_related("workspace", "user").get(
        user=user, workspace=world.workspace
    )
    member_remove(membership=membership, actor=world.owner)


def update(world, user, **changes) -> None:
    membership = Membership.objects.select_related("workspace", "user").get(
        user=user, workspace=world.workspace
    )
    member_update(membership=membership, actor=world.owner, **changes)


def deactivate(user) -> None:
    # No catalog service deactivates an account; an admin does it in the Django admin.
    user.is_active = False
    user.save(update_fields=["is_active"])


def change_password(user) -> None:
    user.set_password("a new password, elsewhere")
    user.save(update_fields=["password"])


# --- the live debugger --------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "source_admin"])
async def test_a_removed_member_is_closed(world, recheck_every_message, who):
    communicator, _ = await debugger(world, getattr(world, who))
    await sync_to_async(remove)(world, getattr(world, who))
    await publish(world, pk=42)
    assert await closed_without_data(communicator) == FORBIDDEN


async def test_a_logged_out_session_is_closed(world, recheck_every_message):
    communicator, client = await debugger(world, world.member)
    response = await sync_to_async(client.post)("/logout/")
    assert response.status_code == 302
    await publish(world, pk=42)
    assert await closed_without_data(communicator) == SESSION_ENDED


@pytest.mark.parametrize("end_session", [deactivate, change_password])
async def test_a_deactivated_or_repassworded_user_is_closed(
    world, recheck_every_message, end_session
):
    communicator, _ = await debugger(world, world.member)
    await sync_to_async(end_session)(world.member)
    await publish(world, pk=42)
    assert await closed_without_data(communicator) == SESSION_ENDED


async def test_a_user_who_keeps_access_keeps_receiving(world, recheck_every_message):
    communicator, _ = await debugger(world, world.member)
    # Changes that leave the member's access alone: another member removed, a password
    # changed on another account.
    await sync_to_async(remove)(world, world.source_admin)
    await sync_to_async(change_password)(world.owner)
    for pk in (42, 43):
        await publish(world, pk=pk)
        assert (await communicator.receive_json_from(timeout=5))["execution"]["id"] == pk
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("who", "changes"),
    [
        ("owner", {"role": Role.MEMBER}),
        ("source_admin", {"role": Role.MEMBER}),
        ("source_admin", {"all_sources": False, "sources": []}),
    ],
)
async def test_a_lowered_role_still_reads_the_logs(world, recheck_every_message, who, changes):
    # docs/catalog.md: every role reads a source's logs, so a lower role or a source
    # admin's narrower scope leaves the debugger open.
    if who == "owner":  # the last owner cannot be demoted
        await sync_to_async(update)(world, world.source_admin, role=Role.OWNER)
    communicator, _ = await debugger(world, getattr(world, who))
    await sync_to_async(update)(world, getattr(world, who), **changes)
    await publish(world, pk=42)
    assert (await communicator.receive_json_from(timeout=5))["execution"]["id"] == 42
    await communicator.disconnect()


async def test_the_recheck_asks_the_same_rule_as_connect(world, recheck_every_message, monkeypatch):
    # Were logs readable only by those who manage the source, a source admin whose
    # scope no longer includes it would be closed, with nothing to change here.
    monkeypatch.setitem(
        policy.RULES, policy.Action.READ_SOURCE_LOGS, policy.RULES[policy.Action.MANAGE_SOURCE]
    )
    communicator, _ = await debugger(world, world.source_admin)
    await sync_to_async(update)(world, world.source_admin, all_sources=False, sources=[])
    await publish(world, pk=42)
    assert await closed_without_data(communicator) == FORBIDDEN


async def test_between_checks_the_verdict_is_reused(world, monkeypatch):
    checks = []
    real = consumers.session_user
    monkeypatch.setattr(consumers, "session_user", lambda key: checks.append(key) or real(key))
    communicator, _ = await debugger(world, world.member)
    for pk in (42, 43):
        await publish(world, pk=pk)
        await communicator.receive_json_from(timeout=5)
    assert checks == []  # within ACCESS_RECHECK_SECONDS of connecting
    await communicator.disconnect()


async def test_an_idle_socket_is_closed_once_access_is_lost(world, monkeypatch):
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0)
    monkeypatch.setattr(consumers, "IDLE_RECHECK_SECONDS", 0.05)
    communicator, _ = await listen(WS_PATH, world.member)
    await sync_to_async(remove)(world, world.member)
    assert await closed_without_data(communicator) == FORBIDDEN  # nothing was published
    assert not await sync_to_async(live.has_listeners)(world.source.pk)


# --- the catcher --------------------------------------------------------------------


def catcher_path(world) -> str:
    return f"/ws/functions/{world.function.pk}/catcher/"


async def test_a_removed_member_stops_getting_captures(world, recheck_every_message):
    token = await token_of(world)
    communicator, _ = await listen(catcher_path(world), world.member)
    await post_capture(token, b'{"n": 1}')
    assert (await communicator.receive_json_from(timeout=5))["capture"]["json"] == {"n": 1}
    await sync_to_async(remove)(world, world.member)
    await post_capture(token, b'{"n": 2}')
    assert await closed_without_data(communicator) == FORBIDDEN


async def test_a_logged_out_editor_stops_getting_captures(world, recheck_every_message):
    token = await token_of(world)
    communicator, client = await listen(catcher_path(world), world.source_admin)
    await sync_to_async(client.post)("/logout/")
    await post_capture(token, b'{"n": 1}')
    assert await closed_without_data(communicator) == SESSION_ENDED


async def test_a_failed_recheck_closes_the_socket(world, recheck_every_message, monkeypatch):
    # Unable to tell (the database is down, say): closed, and connecting checks again.
    communicator, _ = await debugger(world, world.member)

    def unavailable(key):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(consumers, "session_user", unavailable)
    await publish(world, pk=42)
    assert await closed_without_data(communicator) == {"type": "websocket.close", "code": 4503}
