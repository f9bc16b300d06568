"""Issue 18.5: members could read catcher captures with raw `Authorization` and `Cookie`
values, and every source's webhook URL (which works as a write credential).

Credential headers of captured and failed webhooks are masked for anyone below owner,
in the API, the pages and the catcher's websocket; owners see them whole (they verify
signatures in the editor). A webhook URL is shown only to who manages its source, a
test URL only to who runs the function; elsewhere their tokens are shortened."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from catalog.masking import MASK, is_credential_header
from catalog.models import Role
from functions_ide.asgi import application
from ingest import catcher
from ingest.models import IngestEvent
from ingest.services import IncomingWebhook
from tests.factories import SourceFactory, member
from tests.ingest.live_world import make_world, release_db_connections, ws_headers

CREDENTIALS = {
    "Authorization": "Bearer sk_live_authorization_1",
    "Cookie": "session=cookie_value_2",
    "Proxy-Authorization": "Basic proxy_value_3",
    "X-Api-Key": "api_key_value_4",
    "Stripe-Signature": "t=1,v1=stripe_signature_5",
    "X-Hub-Signature-256": "sha256=hub_signature_6",
    "X-Gitlab-Token": "gitlab_token_7",
    "X-Webhook-Secret": "webhook_secret_8",
    "X-Shopify-Hmac-Sha256": "shopify_hmac_9",
    # Shown in clear below owner until issue 18.8.
    "X-Passwd": "passwd_value_10",
    "X-Credential": "credential_value_11",
    "X-Access-Jwt": "access_jwt_12",
    "X-Auth-Token": "auth_token_13",
    "Www-Authenticate": "Basic realm_value_14",
    "X-Session-Id": "session_id_15",
}
PLAIN = {
    "Content-Type": "application/json",
    "User-Agent": "Stripe/1.0",
    "X-Request-Id": "r-1",
    "Accept": "application/json",
    "Accept-Encoding": "gzip",
    "Content-Length": "15",
    "Host": "hooks.example.com",
    "X-Forwarded-For": "203.0.113.9",
}


def test_the_rule_names_credential_headers():
    assert all(is_credential_header(name) for name in CREDENTIALS)
    assert not any(is_credential_header(name) for name in PLAIN)


def leaked(body, secrets) -> list[str]:
    text = json.dumps(body)
    return [secret for secret in secrets if secret in text]


def store_capture(world):
    token = catcher.catcher_for_function(function=world.function).token
    webhook = IncomingWebhook(
        "POST", f"/hooks/test/{token}", "", {**PLAIN, **CREDENTIALS}, b'{"id": "evt_1"}'
    )
    return token, catcher.capture_store(token=token, webhook=webhook)


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def function_api(world) -> str:
    return f"/api/v1/workspaces/acme/functions/{world.function.pk}/"


# --- captures through the API ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["member", "source_admin"])
def test_below_owner_captures_are_masked(who):
    world = make_world()
    token, capture = store_capture(world)
    client = as_user(getattr(world, who))

    listed = client.get(function_api(world) + "captures/").json()["results"][0]
    one = client.get(function_api(world) + f"captures/{capture.pk}/").json()

    for shown in (listed, one):
        assert shown["headers"] == {**PLAIN, **dict.fromkeys(CREDENTIALS, MASK)}
        assert shown["request"]["headers"] == shown["headers"]  # a Run from it carries none
        assert shown["path"] == f"/hooks/test/{token[:4]}…"
        assert token not in shown["url"] and token not in shown["request"]["url"]
        assert shown["json"] == {"id": "evt_1"}  # the rest is as it was
        assert not leaked(shown, [*CREDENTIALS.values(), token])


@pytest.mark.django_db
def test_owners_see_captures_whole():
    world = make_world()
    token, capture = store_capture(world)
    one = as_user(world.owner).get(function_api(world) + f"captures/{capture.pk}/").json()
    assert one["headers"] == {**PLAIN, **CREDENTIALS}
    assert one["request"]["headers"] == {**PLAIN, **CREDENTIALS}
    assert one["path"] == f"/hooks/test/{token}"


# --- captures through the websocket ---------------------------------------------------


async def listen(world, user) -> WebsocketCommunicator:
    headers = await sync_to_async(ws_headers)(user)
    communicator = WebsocketCommunicator(
        application, f"/ws/functions/{world.function.pk}/catcher/", headers
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.mark.django_db(transaction=True)
async def test_the_catcher_websocket_masks_by_the_same_rule():
    world = await sync_to_async(make_world)()
    try:
        token, first = await sync_to_async(store_capture)(world)
        sockets = {}
        for who in ("owner", "source_admin", "member"):
            sockets[who] = await listen(world, getattr(world, who))
            on_connect = (await sockets[who].receive_json_from())["captures"][0]
            masked = who != "owner"
            assert bool(leaked(on_connect, CREDENTIALS.values())) is not masked, who
        _, second = await sync_to_async(store_capture)(world)
        for who, communicator in sockets.items():
            pushed = (await communicator.receive_json_from(timeout=5))["capture"]
            assert pushed["id"] == second.pk
            if who == "owner":
                assert pushed["headers"] == {**PLAIN, **CREDENTIALS}
            else:
                assert pushed["headers"] == {**PLAIN, **dict.fromkeys(CREDENTIALS, MASK)}
                assert not leaked(pushed, [*CREDENTIALS.values(), token]), who
            await communicator.disconnect()
    finally:
        await release_db_connections()


# --- dead letters ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "masked"), [("member", True), ("source_admin", True), ("owner", False)]
)
def test_dead_letters_mask_by_the_same_rule(who, masked):
    world = make_world()
    source = world.source
    IngestEvent.objects.create(
        source=source,
        version=source.version,
        method="POST",
        path=f"/hooks/{source.webhook_token}",
        headers={**PLAIN, **CREDENTIALS},
        raw_body=b"{}",
        status=IngestEvent.Status.FAILED,
    )
    url = f"/api/v1/workspaces/acme/sources/{source.slug}/dead-letters/"
    letter = as_user(getattr(world, who)).get(url).json()["results"][0]
    if masked:
        assert letter["headers"] == {**PLAIN, **dict.fromkeys(CREDENTIALS, MASK)}
        assert letter["path"] == f"/hooks/{source.webhook_token[:4]}…"
        assert not leaked(letter, [*CREDENTIALS.values(), source.webhook_token])
    else:
        assert letter["headers"] == {**PLAIN, **CREDENTIALS}
        assert letter["path"] == f"/hooks/{source.webhook_token}"


# --- webhook URLs and test URLs ---------------------------------------------------------


@pytest.fixture
def urls_world(db):
    world = make_world()
    scoped = member(world.workspace, Role.SOURCE_ADMIN, "scoped@acme.example", all_sources=False)
    mine = SourceFactory(function=world.function, slug="mine")
    scoped.memberships.get().sources.add(mine)
    return world, scoped, mine


def test_a_webhook_url_is_shown_only_to_who_manages_the_source(urls_world):
    world, scoped, mine = urls_world
    token = world.source.webhook_token
    expected = {
        world.owner: {"stripe-live": True, "mine": True},
        world.source_admin: {"stripe-live": True, "mine": True},
        scoped: {"stripe-live": False, "mine": True},
        world.member: {"stripe-live": False, "mine": False},
    }
    for user, visible in expected.items():
        client = as_user(user)
        listed = client.get("/api/v1/workspaces/acme/sources/").json()["results"]
        for source in listed:
            shown = source["webhook_url"] is not None
            assert shown is visible[source["slug"]], (user, source["slug"])
            one = client.get(f"/api/v1/workspaces/acme/sources/{source['slug']}/").json()
            assert one["webhook_url"] == source["webhook_url"]
        page = client.get("/workspaces/acme/sources/stripe-live/").content.decode()
        assert (token in page) is visible["stripe-live"], user
        if not visible["stripe-live"]:
            assert "Only the workspace owners and this source" in page


def test_a_scoped_source_admin_sees_the_url_of_a_source_they_connect(urls_world):
    world, scoped, _ = urls_world
    client = as_user(scoped)
    body = {"name": "Theirs", "function": world.function.pk}
    created = client.post("/api/v1/workspaces/acme/sources/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["webhook_url"].startswith("http")


def test_a_test_url_is_shown_only_to_who_runs_the_function(urls_world):
    world, _, _ = urls_world
    for user, visible in ((world.owner, True), (world.source_admin, True), (world.member, False)):
        answer = as_user(user).get(function_api(world) + "catcher/").json()
        assert (answer["url"] is not None) is visible, user
