"""ws/functions/<id>/catcher/: who may listen, the recent captures on connect, and
each request POSTed to the test URL pushed at once to every listening editor."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from functions_ide.asgi import application
from ingest import catcher
from ingest.services import IncomingWebhook
from tests.asgi import exchange
from tests.ingest.live_world import make_function, make_world, release_db_connections, ws_headers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def world():
    # Made in the thread the consumers use for the database, and closed there after.
    yield await sync_to_async(make_world)()
    await release_db_connections()


def socket(function_id: int, headers) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/functions/{function_id}/catcher/", headers)


async def connect(world, user):
    communicator = socket(world.function.pk, await sync_to_async(ws_headers)(user))
    connected, code = await communicator.connect()
    return communicator, connected, code


async def refused_with(communicator: WebsocketCommunicator) -> int | None:
    """The close code of a refused handshake; the consumer is stopped either way (a
    left-over one would wait out the Redis layer's blocking receive)."""
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return None if connected else code


async def post_capture(token: str, body: bytes, content_type: bytes = b"application/json"):
    response = await exchange(
        "POST",
        f"/hooks/test/{token}?source=stripe",
        body=body,
        headers=[
            (b"host", b"testserver"),
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
        ],
        timeout=5,
    )
    assert response["status"] == 200, response["body"]
    return json.loads(response["body"])["id"]


async def token_of(world) -> str:
    found = await sync_to_async(catcher.catcher_for_function)(function=world.function)
    return found.token


@pytest.mark.parametrize(("who", "code"), [(None, 4401), ("outsider", 4404), ("stranger", 4404)])
async def test_refused_at_connect(world, who, code):
    headers = await sync_to_async(ws_headers)(getattr(world, who) if who else None)
    assert await refused_with(socket(world.function.pk, headers)) == code


async def test_unknown_function_is_refused(world):
    headers = await sync_to_async(ws_headers)(world.owner)
    assert await refused_with(socket(world.function.pk + 1000, headers)) == 4404


async def test_foreign_origin_is_refused(world):
    headers = await sync_to_async(ws_headers)(world.owner)
    headers = [(b"origin", b"https://evil.example")] + headers[1:]
    assert await refused_with(socket(world.function.pk, headers)) is not None


@pytest.mark.parametrize("who", ["owner", "source_admin", "member"])
async def test_members_are_accepted_and_get_an_empty_list(world, who):
    communicator, connected, _ = await connect(world, getattr(world, who))
    assert connected
    assert await communicator.receive_json_from() == {"type": "captures", "captures": []}
    await communicator.disconnect()


async def test_recent_captures_on_connect_newest_first(world):
    token = await token_of(world)
    store = sync_to_async(catcher.capture_store)
    for n in range(3):
        body = json.dumps({"n": n}).encode()
        await store(token=token, webhook=IncomingWebhook("POST", "/hooks/test/x", "", {}, body))
    communicator, connected, _ = await connect(world, world.member)
    assert connected
    message = await communicator.receive_json_from()
    assert [c["json"] for c in message["captures"]] == [{"n": 2}, {"n": 1}, {"n": 0}]
    await communicator.disconnect()


async def test_a_post_to_the_test_url_reaches_two_editors(world):
    token = await token_of(world)
    editors = []
    for user in (world.owner, world.source_admin):
        communicator, connected, _ = await connect(world, user)
        assert connected and (await communicator.receive_json_from())["captures"] == []
        editors.append(communicator)

    capture_id = await post_capture(token, b'{"type": "charge.succeeded"}')

    # The owner sees the test URL's token whole, the source admin shortened (as in the API).
    for communicator, shown in zip(editors, (token, f"{token[:4]}…"), strict=True):
        message = await communicator.receive_json_from(timeout=5)
        assert message["type"] == "capture"
        capture = message["capture"]
        assert capture["id"] == capture_id
        assert capture["json"] == {"type": "charge.succeeded"}
        assert capture["query_string"] == "source=stripe"
        assert capture["request"]["body"] == {"type": "charge.succeeded"}
        assert capture["request"]["url"].endswith(f"/hooks/test/{shown}?source=stripe")
        assert capture["request"]["headers"]["Content-Type"] == "application/json"
        await communicator.disconnect()


async def test_other_functions_editors_hear_nothing(world):
    token = await token_of(world)
    communicator, connected, _ = await connect(world, world.owner)
    await communicator.receive_json_from()
    other = await sync_to_async(make_function)(world.workspace, slug="github")
    other_token = (await sync_to_async(catcher.catcher_for_function)(function=other)).token
    await post_capture(other_token, b"{}")
    assert await communicator.receive_nothing(timeout=0.3)
    await post_capture(token, b"plain text", b"text/plain")
    capture = (await communicator.receive_json_from(timeout=5))["capture"]
    assert capture["body"] == "plain text" and "json" not in capture
    assert capture["content_type"] == "text/plain"
    assert capture["request"]["rawBody"] == "plain text"
    await communicator.disconnect()


async def test_what_msgpack_cannot_carry_still_arrives(world):
    # An integer past 64 bits: the Redis layer's msgpack would refuse it as a value.
    token = await token_of(world)
    communicator, connected, _ = await connect(world, world.member)
    await communicator.receive_json_from()
    await post_capture(token, b'{"n": 123456789012345678901234567890}')
    capture = (await communicator.receive_json_from(timeout=5))["capture"]
    assert capture["json"] == {"n": 123456789012345678901234567890}
    await communicator.disconnect()
