"""Issue 18.14: a websocket to a catcher or a debugger from a foreign Origin was accepted
with the session cookie while the HTTP CSRF check refused that origin; an unknown
websocket path was an HTTP 500 with an ERROR traceback anyone could trigger; every 403
wrote a full traceback to the log.

The handshake's Origin is judged by Django's CSRF check itself (functions_ide/origins.py):
for each (settings, Host, Origin) below, a session POST to the API and a websocket
handshake get the same verdict. Unknown paths close with 4404, quietly. Refusals are
one INFO line, a request with a Host outside ALLOWED_HOSTS one WARNING line."""

import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from functions_ide.asgi import application
from tests.ingest.live_world import make_world, release_db_connections
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import OWNER

CASES = {
    # name: (Host, Origin, settings)
    "same origin": ("testserver", "http://testserver", {}),
    "another site": ("testserver", "https://evil.example", {}),
    "another port of the host": ("testserver", "http://testserver:8080", {}),
    "https, where the page is http": ("testserver", "https://testserver", {}),
    "any host allowed, another site": (
        "testserver", "https://evil.example", {"ALLOWED_HOSTS": ["*"]},
    ),
    "a sibling of an allowed domain": (
        "ide.example.com", "http://evil.example.com", {"ALLOWED_HOSTS": [".example.com"]},
    ),
    "a trusted origin": (
        "testserver", "https://ide.example.com",
        {"CSRF_TRUSTED_ORIGINS": ["https://ide.example.com"]},
    ),
    "a trusted wildcard origin": (
        "testserver", "https://eu.example.com",
        {"CSRF_TRUSTED_ORIGINS": ["https://*.example.com"]},
    ),
    "a host not allowed": ("evil.example", "http://evil.example", {}),
    "behind TLS, same origin": (
        "testserver", "https://testserver",
        {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
    ),
    "behind TLS, the plain origin": (
        "testserver", "http://testserver",
        {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
    ),
}  # fmt: skip
# What the CSRF check says, written out so a change of either side shows.
TRUSTED = {
    "same origin",
    "a trusted origin",
    "a trusted wildcard origin",
    "behind TLS, same origin",
}


CSRF_SECRET = "k" * 32  # the cookie and the header agree: only the origin decides


def http_verdict(world, host: str, origin: str) -> bool:
    """Whether a session POST from this origin passes Django's CSRF check. Plain HTTP
    with X-Forwarded-Proto: https, like the handshake below."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(
        "/api/v1/workspaces/acme/tokens/",
        "{}",
        content_type="application/json",
        HTTP_HOST=host,
        HTTP_ORIGIN=origin,
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
        HTTP_X_FORWARDED_PROTO="https",
    )
    if response.status_code == 400:  # Invalid HTTP_HOST: refused before any check
        return False
    assert response.status_code in {201, 403}, response.content[:300]
    return response.status_code == 201


async def ws_verdict(world, host: str, origin: str) -> bool:
    client = Client()
    await sync_to_async(client.force_login)(world.owner)
    headers = [
        (b"origin", origin.encode()),
        (b"host", host.encode()),
        (b"x-forwarded-proto", b"https"),
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
    ]
    path = f"/ws/functions/{world.function.pk}/catcher/"
    communicator = WebsocketCommunicator(application, path, headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_websocket_admits_exactly_the_origins_csrf_admits(case, settings):
    host, origin, overrides = CASES[case]
    for name, value in overrides.items():
        setattr(settings, name, value)
    world = await sync_to_async(make_world)()
    try:
        http = await sync_to_async(http_verdict)(world, host, origin)
        websocket = await ws_verdict(world, host, origin)
        assert http is (case in TRUSTED), f"the CSRF check changed for {case!r}"
        assert websocket is http, case
    finally:
        await release_db_connections()


@pytest.mark.django_db(transaction=True)
async def test_without_an_origin_a_websocket_is_refused():
    world = await sync_to_async(make_world)()
    try:
        client = Client()
        await sync_to_async(client.force_login)(world.owner)
        cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())
        path = f"/ws/functions/{world.function.pk}/catcher/"
        communicator = WebsocketCommunicator(application, path, [(b"host", b"testserver"), cookie])
        assert (await communicator.connect())[0] is False
        await communicator.disconnect()
    finally:
        await release_db_connections()


# --- websockets: only our origin (cross-site websocket hijacking) ------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(matrix.WEBSOCKETS))
async def test_a_websocket_from_another_origin_is_refused(route):
    world = await sync_to_async(matrix.ws_world)()
    try:
        path = matrix.ws_path(route, world["own"])
        headers = world["headers"][OWNER]
        assert (await matrix.handshake(path, headers))[0]  # our origin: accepted
        evil = [(b"origin", b"https://evil.example"), *headers[1:]]
        assert not (await matrix.handshake(path, evil))[0]
        assert not (await matrix.handshake(path, headers[1:]))[0]  # no Origin at all
    finally:
        await release_db_connections()


# --- unknown paths ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/functions/abc/catcher/", "/", "/api/v1/"])
async def test_an_unknown_websocket_path_closes_with_4404_quietly(path, caplog):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    with caplog.at_level(logging.INFO):
        communicator = WebsocketCommunicator(application, path, headers)
        # Accepted, then closed: a close before accepting reaches a browser as an HTTP 403
        assert await communicator.connect() == (True, None)
        assert await communicator.receive_output() == {"type": "websocket.close", "code": 4404}
        await communicator.disconnect()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# --- refusals in the log --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("member", "/workspaces/acme/functions/new/", 403),  # a page's PermissionDenied
        ("stranger", "/workspaces/acme/functions/", 404),  # another workspace's Http404
        ("member", "/api/v1/workspaces/acme/audit/", 403),  # the API's 403
    ],
)
def test_a_refusal_is_one_info_line_without_a_traceback(who, path, status, caplog):
    world = make_world()
    client = Client()
    client.force_login(getattr(world, who))
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get(path).status_code == status
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.INFO and record.exc_info is None
    assert path in record.getMessage()


@pytest.mark.django_db
def test_errors_keep_their_level_and_traceback(caplog, monkeypatch):
    from frontend import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    world = make_world()
    monkeypatch.setattr(views, "_templates", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.owner)
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/workspaces/acme/functions/new/").status_code == 500
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR and record.exc_info is not None


@pytest.mark.django_db
def test_a_host_outside_allowed_hosts_is_one_warning_line(caplog):
    with caplog.at_level(logging.INFO):
        assert Client().get("/login/", HTTP_HOST="evil.example").status_code == 400
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "django.security.DisallowedHost"
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert "evil.example" in record.getMessage() and "\n" not in record.getMessage()
