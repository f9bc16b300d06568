"""The catcher through the API: the test URL (lazily created, rotatable) and the
captures of a function (list, one, delete), with the access rules of functions."""

import pytest

from ingest import catcher
from ingest.models import Capture
from ingest.services import IncomingWebhook
from tests.ingest.live_world import make_function, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def base(world) -> str:
    return f"/api/v1/workspaces/{world.workspace.slug}/functions/{world.function.pk}/"


def as_user(client, user):
    client.force_login(user)
    return client


def capture(world, body: bytes, content_type: str = "application/json") -> Capture:
    token = catcher.catcher_for_function(function=world.function).token
    webhook = IncomingWebhook(
        "POST", f"/hooks/test/{token}", "a=1", {"Content-Type": content_type}, body
    )
    return catcher.capture_store(token=token, webhook=webhook)


def test_the_test_url_is_created_once(client, world, settings):
    settings.PUBLIC_URL = "https://fn.example.com"
    first = as_user(client, world.source_admin).get(base(world) + "catcher/").json()
    again = client.get(base(world) + "catcher/").json()
    assert first == again
    assert first["url"].startswith("https://fn.example.com/hooks/test/")
    assert first["websocket"] == f"/ws/functions/{world.function.pk}/catcher/"
    # A member reads the captures but not the URL (docs/security.md).
    seen = as_user(client, world.member).get(base(world) + "catcher/").json()
    assert seen == {**first, "url": None}


@pytest.mark.parametrize("who", ["owner", "source_admin"])
def test_rotate_gives_a_new_url_and_the_old_stops(client, world, who):
    old = as_user(client, getattr(world, who)).get(base(world) + "catcher/").json()["url"]
    response = client.post(base(world) + "catcher/rotate/")
    assert response.status_code == 200
    assert response.json()["url"] != old
    old_path = old.split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + old_path, b"{}", content_type="application/json").status_code == 404


def test_members_may_not_rotate(client, world):
    response = as_user(client, world.member).post(base(world) + "catcher/rotate/")
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["outsider", "stranger"])
def test_other_users_get_404(client, world, who):
    as_user(client, getattr(world, who))
    assert client.get(base(world) + "catcher/").status_code == 404
    assert client.get(base(world) + "captures/").status_code == 404


def test_anonymous_is_refused(client, world):
    assert client.get(base(world) + "captures/").status_code in (401, 403)


def test_captures_newest_first_in_few_queries(client, world, django_assert_max_num_queries):
    for n in range(5):
        capture(world, b'{"n": %d}' % n)
    as_user(client, world.member)
    with django_assert_max_num_queries(8):
        page = client.get(base(world) + "captures/").json()
    assert page["count"] == 5 and page["next"] is None
    assert [c["json"]["n"] for c in page["results"]] == [4, 3, 2, 1, 0]


def test_one_capture_and_its_request_form(client, world, settings):
    settings.PUBLIC_URL = "https://fn.example.com"
    stored = capture(world, b'{"id": "evt_1"}')
    body = as_user(client, world.owner).get(base(world) + f"captures/{stored.pk}/").json()
    assert body["json"] == {"id": "evt_1"} and body["content_type"] == "application/json"
    assert body["request"] == {
        "method": "POST",
        "url": f"https://fn.example.com{stored.path}?a=1",
        "headers": {"Content-Type": "application/json"},
        "body": {"id": "evt_1"},
    }


def test_a_capture_of_another_function_is_404(client, world):
    other = make_function(world.workspace, slug="github")
    stored = capture(world, b"{}")
    url = f"/api/v1/workspaces/acme/functions/{other.pk}/captures/{stored.pk}/"
    assert as_user(client, world.owner).get(url).status_code == 404


def test_delete(client, world):
    stored = capture(world, b"{}")
    url = base(world) + f"captures/{stored.pk}/"
    assert as_user(client, world.member).delete(url).status_code == 403
    assert as_user(client, world.source_admin).delete(url).status_code == 204
    assert not Capture.objects.exists()


def test_big_bodies_are_left_out_of_lists(client, world, settings):
    big = capture(world, b'"' + b"x" * catcher.LIST_BODY_LIMIT + b'"')
    small = capture(world, b"{}")
    listed = as_user(client, world.member).get(base(world) + "captures/").json()["results"]
    assert [c["truncated"] for c in listed] == [False, True]
    assert listed[1]["size"] == catcher.LIST_BODY_LIMIT + 2 and "body" not in listed[1]
    assert listed[0]["id"] == small.pk
    whole = client.get(base(world) + f"captures/{big.pk}/").json()
    assert whole["truncated"] is False and len(whole["json"]) == catcher.LIST_BODY_LIMIT
