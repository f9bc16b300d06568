"""The destinations API: owners configure, every member reads, credentials never come
back, a destination that cannot work is not saved, and another workspace's is a 404."""

import pytest

from ingest.models import Destination
from tests.ingest.deliver.receiver import Reply

pytestmark = pytest.mark.django_db
URL = "/api/v1/workspaces/acme/destinations/"


def webhook(receiver, **extra) -> dict:
    return {"name": "Hook", "kind": "webhook", "config": {"url": receiver.url + "/in"}, **extra}


def test_an_owner_creates_a_webhook_destination_and_sees_its_secret_once(owner_api, receiver):
    created = owner_api.post(URL, webhook(receiver), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["generated"]["secret"].startswith("whsec_")
    assert body["credentials"] == {"secret": "set"}
    assert receiver.received, "the destination was checked before it was saved"
    shown = owner_api.get(f"{URL}{body['id']}/").json()
    assert "generated" not in shown and body["generated"]["secret"] not in str(shown)
    listed = owner_api.get(URL).json()
    assert [d["name"] for d in listed["results"]] == ["Hook"]
    assert listed["results"][0]["stats"] == {
        "delivered": 0, "retrying": 0, "failed": 0, "lag_s": None, "last_error": None,
    }  # fmt: skip


def test_credentials_are_write_only_and_kept_when_left_out(owner_api, receiver):
    body = webhook(receiver, credentials={"secret": "s3cret-value-0123456789"})
    created = owner_api.post(URL, body, format="json").json()
    changed = owner_api.patch(f"{URL}{created['id']}/", {"name": "Renamed"}, format="json")
    assert changed.status_code == 200, changed.content
    assert "s3cret-value-0123456789" not in changed.content.decode()
    destination = Destination.objects.get()
    assert destination.name == "Renamed" and destination.credentials == {
        "secret": "s3cret-value-0123456789"
    }


def test_a_destination_that_cannot_work_is_not_saved(owner_api, receiver):
    receiver.replies = [Reply(401)]
    refused = owner_api.post(URL, webhook(receiver), format="json")
    assert refused.status_code == 400
    assert "401" in str(refused.json()) or "refused" in str(refused.json()).lower()
    assert not Destination.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "kind": "ftp"}, "kind"),
        ({"name": "X", "kind": "webhook", "config": {}}, "config"),
        ({"name": "X", "kind": "webhook", "config": {"url": "http://x", "path": "/"}}, "config"),
        ({"name": "X", "kind": "segment", "config": {"preset": "segment"}}, "credentials"),
    ],
)
def test_a_bad_configuration_says_which_field(owner_api, receiver, body, field):
    refused = owner_api.post(URL, body, format="json")
    assert refused.status_code == 400
    assert field in refused.json()["errors"], refused.json()
    assert not Destination.objects.exists()


def test_names_are_unique_in_a_workspace(owner_api, receiver):
    assert owner_api.post(URL, webhook(receiver), format="json").status_code == 201
    again = owner_api.post(URL, webhook(receiver), format="json")
    assert again.status_code == 400 and "name" in again.json()["errors"]


def test_send_test_reports_the_answer_and_stores_nothing(owner_api, receiver):
    created = owner_api.post(URL, webhook(receiver), format="json").json()
    receiver.replies = [Reply(503)]
    result = owner_api.post(f"{URL}{created['id']}/test/").json()
    assert result["ok"] is False and result["status"] == 503 and result["seconds"] >= 0
    result = owner_api.post(f"{URL}{created['id']}/test/").json()
    assert result["ok"] is True and result["status"] == 200
    assert b"Send Test" in receiver.received[-1].body


@pytest.mark.parametrize("role", ["source_admin", "member_user"])
def test_only_owners_change_destinations_but_members_read_them(
    request, role, owner_api, api_client_for, workspace, receiver
):
    created = owner_api.post(URL, webhook(receiver), format="json").json()
    api = api_client_for(request.getfixturevalue(role), workspace)
    assert api.get(URL).json()["count"] == 1
    assert api.post(URL, webhook(receiver, name="Mine"), format="json").status_code == 403
    assert api.patch(f"{URL}{created['id']}/", {"enabled": False}, format="json").status_code == 403
    assert api.post(f"{URL}{created['id']}/test/").status_code == 403
    assert api.delete(f"{URL}{created['id']}/").status_code == 403
    assert Destination.objects.get().enabled


def test_another_workspace_sees_no_such_destination(owner_api, outsider, api_client_for, receiver):
    created = owner_api.post(URL, webhook(receiver), format="json").json()
    stranger = api_client_for(outsider, outsider.memberships.get().workspace)
    for method in ("get", "patch", "delete"):
        answer = getattr(stranger, method)(f"{URL}{created['id']}/")
        assert answer.status_code == 404
    other = f"/api/v1/workspaces/other/destinations/{created['id']}/"
    assert stranger.get(other).status_code == 404


def test_an_owner_deletes_a_destination(owner_api, receiver):
    created = owner_api.post(URL, webhook(receiver), format="json").json()
    assert owner_api.delete(f"{URL}{created['id']}/").status_code == 204
    assert not Destination.objects.exists()
