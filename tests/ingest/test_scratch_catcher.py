"""A test URL for a function not created yet, through the API and the URL itself: the
editor of a new function gets a scratch catcher of its own user, for a day; requests
sent to it are captured; the function Configure creates adopts it (URL and captures);
otherwise it is discarded, or it expires. Owners only (who may create functions),
another user's or another workspace's is a 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import AuditEntry, Role
from ingest.models import Capture, Catcher
from tests.factories import member
from tests.ingest.live_world import make_function, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def api(world) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/"


def as_user(client, user):
    client.force_login(user)
    return client


def scratch(client, world) -> dict:
    made = client.post(api(world) + "catchers/")
    assert made.status_code == 201, made.json()
    return made.json()


def send(client, url: str, body: bytes = b'{"type": "charge.succeeded"}', **headers):
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    return client.post(path, body, content_type="application/json", headers=headers)


def test_a_new_functions_editor_gets_a_test_url_that_catches(client, world, settings):
    settings.PUBLIC_URL = "https://fn.example.com"
    made = scratch(as_user(client, world.owner), world)

    assert made["url"].startswith("https://fn.example.com/hooks/test/")
    assert made["websocket"] == f"/ws/workspaces/acme/catchers/{made['id']}/"
    lifetime = timezone.datetime.fromisoformat(made["expires_at"]) - timezone.now()
    assert timedelta(hours=23) < lifetime <= timedelta(hours=24)

    caught = send(client, made["url"], **{"Stripe-Signature": "t=1,v1=abc"})
    assert caught.status_code == 200, caught.json()
    [listed] = client.get(api(world) + f"catchers/{made['id']}/captures/").json()["results"]
    assert listed["json"] == {"type": "charge.succeeded"}
    assert listed["headers"]["Stripe-Signature"] == "t=1,v1=abc"  # the owner sees it whole
    one = client.get(api(world) + f"catchers/{made['id']}/captures/{listed['id']}/").json()
    assert one["request"]["body"] == {"type": "charge.succeeded"}
    assert Capture.objects.get().function is None


def test_the_function_configure_creates_adopts_the_url_and_its_captures(client, world):
    made = scratch(as_user(client, world.owner), world)
    send(client, made["url"])
    created = client.post(
        api(world) + "functions/", {"name": "Stripe"}, content_type="application/json"
    ).json()
    function = api(world) + f"functions/{created['id']}/"

    adopted = client.post(
        function + "catcher/adopt/", {"catcher": made["id"]}, content_type="application/json"
    )

    assert adopted.status_code == 200, adopted.json()
    assert adopted.json()["url"] == made["url"]
    assert adopted.json()["websocket"] == f"/ws/functions/{created['id']}/catcher/"
    assert client.get(function + "catcher/").json()["url"] == made["url"]
    [kept] = client.get(function + "captures/").json()["results"]
    assert kept["json"] == {"type": "charge.succeeded"}
    # The URL keeps catching, for the function now.
    assert send(client, made["url"], b'{"n": 2}').status_code == 200
    assert client.get(function + "captures/").json()["count"] == 2
    # It is no scratch URL any more.
    assert client.get(api(world) + f"catchers/{made['id']}/").status_code == 404
    assert Catcher.objects.get(pk=made["id"]).expires_at is None
    assert AuditEntry.objects.filter(action="catcher.adopt").count() == 1


def test_a_function_with_a_test_url_adopts_no_other(client, world):
    made = scratch(as_user(client, world.owner), world)
    function = api(world) + f"functions/{world.function.pk}/"
    client.get(function + "catcher/")  # made on first use

    refused = client.post(
        function + "catcher/adopt/", {"catcher": made["id"]}, content_type="application/json"
    )

    assert refused.status_code == 409
    assert "has a test URL already" in refused.json()["detail"]
    assert send(client, made["url"]).status_code == 200  # still the editor's scratch URL


def test_a_discarded_or_expired_url_stops_catching(client, world):
    as_user(client, world.owner)
    discarded, expired = scratch(client, world), scratch(client, world)
    assert client.delete(api(world) + f"catchers/{discarded['id']}/").status_code == 204
    Catcher.objects.filter(pk=expired["id"]).update(expires_at=timezone.now())

    gone = send(client, discarded["url"])
    late = send(client, expired["url"])

    assert gone.status_code == 404
    assert late.status_code == 404 and "expired" in late.json()["error"]
    assert client.get(api(world) + f"catchers/{expired['id']}/").status_code == 404
    adopt = client.post(
        api(world) + f"functions/{world.function.pk}/catcher/adopt/",
        {"catcher": expired["id"]},
        content_type="application/json",
    )
    assert adopt.status_code == 400
    assert adopt.json()["errors"] == {
        "catcher": ["This scratch test URL has expired, was adopted, or is not yours."]
    }
    scratch(client, world)  # making one clears the expired ones
    assert not Catcher.objects.filter(pk=expired["id"]).exists()


def test_a_user_keeps_a_few_scratch_urls_the_oldest_going_first(client, world):
    as_user(client, world.owner)
    made = [scratch(client, world)["id"] for _ in range(7)]
    kept = Catcher.objects.filter(function=None).values_list("pk", flat=True)
    assert sorted(kept) == made[-5:]


@pytest.mark.parametrize("who", ["source_admin", "member"])
def test_only_who_may_create_functions_gets_one(client, world, who):
    refused = as_user(client, getattr(world, who)).post(api(world) + "catchers/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only workspace owners may change functions."


def test_another_users_or_workspaces_scratch_url_is_not_found(client, world):
    made = scratch(as_user(client, world.owner), world)
    path = f"catchers/{made['id']}/"
    other_owner = member(world.workspace, Role.OWNER, "second@acme.example")

    for user in (other_owner, world.stranger, world.outsider):
        as_user(client, user)
        assert client.get(api(world) + path).status_code == 404
        assert client.get(api(world) + path + "captures/").status_code == 404
        assert client.delete(api(world) + path).status_code == 404
    as_user(client, world.stranger)
    assert client.get(f"/api/v1/workspaces/globex/{path}").status_code == 404
    globex_function = make_function(world.stranger.memberships.get().workspace, "own")
    adopt = client.post(
        f"/api/v1/workspaces/globex/functions/{globex_function.pk}/catcher/adopt/",
        {"catcher": made["id"]},
        content_type="application/json",
    )
    assert adopt.status_code == 400
    assert Catcher.objects.get(pk=made["id"]).function is None


def test_a_source_admin_may_not_adopt(client, world):
    made = scratch(as_user(client, world.owner), world)
    refused = as_user(client, world.source_admin).post(
        api(world) + f"functions/{world.function.pk}/catcher/adopt/",
        {"catcher": made["id"]},
        content_type="application/json",
    )
    assert refused.status_code == 403
