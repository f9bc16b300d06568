"""Every websocket route, with every role, a scoped source admin, a user of another
workspace and anonymous, answers as the permission table says
(tests/security/test_authorization_matrix.py holds the table and the other routes).
Apart from it because its handshakes need committed rows (transaction=True), which the
matrix's shared rows would hold a transaction open against."""

import pytest
from asgiref.sync import sync_to_async

from tests.security.test_authorization_matrix import (
    ANONYMOUS,
    FORBIDDEN,
    NOT_AUTHENTICATED,
    NOT_FOUND,
    OUTSIDER,
    OWNER,
    WEBSOCKETS,
    handshake,
    ws_path,
    ws_world,
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WEBSOCKETS))
async def test_websocket_answers_each_principal(route):
    from tests.ingest.live_world import release_db_connections

    world = await sync_to_async(ws_world)()
    try:
        for principal, headers in world["headers"].items():
            connected, code = await handshake(ws_path(route, world["own"]), headers)
            if principal in WEBSOCKETS[route]:
                assert connected, (principal, code)
            else:
                expected = {ANONYMOUS: NOT_AUTHENTICATED, OUTSIDER: NOT_FOUND}.get(
                    principal, FORBIDDEN
                )
                assert (connected, code) == (False, expected), principal
        # The owner of acme asking for the other workspace's function or source.
        connected, code = await handshake(ws_path(route, world["foreign"]), world["headers"][OWNER])
        assert (connected, code) == (False, NOT_FOUND)
    finally:
        await release_db_connections()
