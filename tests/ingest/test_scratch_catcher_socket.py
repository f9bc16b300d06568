"""ws/workspaces/<ws>/catchers/<id>/: the editor of a function not created yet hears
what its scratch test URL catches; only the user it belongs to may listen, and the
socket is closed once a function adopts the URL (the editor then listens to the
function's)."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from functions_ide.asgi import application
from ingest import catcher
from tests.asgi import exchange
from tests.ingest.live_world import make_world, release_db_connections, ws_headers
from tests.ingest.test_catcher_socket import refused_with

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def world():
    yield await sync_to_async(make_world)()
    await release_db_connections()


def path(scratch, ws: str = "acme") -> str:
    return f"/ws/workspaces/{ws}/catchers/{scratch.pk}/"


async def new_scratch(world):
    return await sync_to_async(catcher.scratch_catcher_create)(
        workspace=world.workspace, actor=world.owner
    )


async def post(token: str, body: bytes) -> int:
    response = await exchange(
        "POST", f"/hooks/test/{token}", body=body,
        headers=[(b"host", b"testserver"), (b"content-type", b"application/json"),
                 (b"content-length", str(len(body)).encode())],
        timeout=5,
    )  # fmt: skip
    assert response["status"] == 200, response["body"]
    return json.loads(response["body"])["id"]


async def test_the_owner_hears_what_the_scratch_url_catches(world):
    scratch = await new_scratch(world)
    earlier = await post(scratch.token, b'{"n": 1}')
    headers = await sync_to_async(ws_headers)(world.owner)
    communicator = WebsocketCommunicator(application, path(scratch), headers)
    connected, _ = await communicator.connect()
    assert connected

    first = await communicator.receive_json_from()
    assert first["type"] == "captures" and [c["id"] for c in first["captures"]] == [earlier]
    later = await post(scratch.token, b'{"n": 2}')
    pushed = await communicator.receive_json_from(timeout=5)
    assert pushed["type"] == "capture" and pushed["capture"]["id"] == later
    assert pushed["capture"]["json"] == {"n": 2}
    await communicator.disconnect()


@pytest.mark.parametrize("who", ["source_admin", "member", "stranger", "outsider"])
async def test_nobody_else_may_listen(world, who):
    scratch = await new_scratch(world)
    headers = await sync_to_async(ws_headers)(getattr(world, who))
    code = await refused_with(WebsocketCommunicator(application, path(scratch), headers))
    assert code in (4403, 4404)


async def test_another_workspaces_path_is_not_found(world):
    scratch = await new_scratch(world)
    headers = await sync_to_async(ws_headers)(world.stranger)
    code = await refused_with(WebsocketCommunicator(application, path(scratch, "globex"), headers))
    assert code == 4404


async def test_the_socket_closes_once_a_function_adopts_the_url(world):
    scratch = await new_scratch(world)
    headers = await sync_to_async(ws_headers)(world.owner)
    communicator = WebsocketCommunicator(application, path(scratch), headers)
    assert (await communicator.connect())[0]
    await communicator.receive_json_from()
    function = await sync_to_async(_new_function)(world)
    await sync_to_async(catcher.catcher_adopt)(
        function=function, actor=world.owner, catcher=scratch
    )

    assert await communicator.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": 4403,
    }


def _new_function(world):
    from catalog.services import function_create

    return function_create(workspace=world.workspace, actor=world.owner, name="New")
