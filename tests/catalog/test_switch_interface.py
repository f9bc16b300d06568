"""The function's interface (onRequest or legacy exports.processEvents) is set like the
rest of the draft: only an owner may switch it, the change is audited, and Run then
uses it."""

import pytest

from catalog.models import AuditEntry, Function
from tests.catalog.helpers import API, create_function

pytestmark = pytest.mark.django_db

LEGACY = """exports.processEvents = async (event) => ({
  events: [{ type: 'track', event: 'Legacy Event', userId: event.payload.body.user }],
});"""
REQUEST = {
    "method": "POST",
    "url": "https://example.com/hook",
    "headers": {},
    "body": {"user": "u1"},
}


def switch(api, function_id, interface):
    return api.patch(f"{API}/functions/{function_id}/", {"interface": interface}, format="json")


def run(api, function_id):
    response = api.post(f"{API}/functions/{function_id}/test/", {"request": REQUEST}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_an_owner_switches_a_legacy_function_and_run_uses_it(owner_api, celery_worker):
    function = create_function(owner_api, code=LEGACY)
    before = run(owner_api, function["id"])["error"]
    assert before["message"] == "exports is not defined" and "legacy interface" in before["hint"]

    switched = switch(owner_api, function["id"], "legacy")

    assert switched.status_code == 200 and switched.json()["interface"] == "legacy"
    entry = AuditEntry.objects.filter(action="function.save").latest("pk")
    assert entry.details["fields"] == ["interface"]
    after = run(owner_api, function["id"])
    assert after["error"] is None and after["events"][0]["event"] == "Legacy Event"


def test_a_member_may_not_switch_it(owner_api, member_user, workspace, api_client_for):
    function = create_function(owner_api, code=LEGACY)
    response = switch(api_client_for(member_user, workspace), function["id"], "legacy")
    assert response.status_code == 403
    assert Function.objects.get(pk=function["id"]).interface == "onRequest"


def test_an_unknown_interface_is_refused_in_words(owner_api):
    function = create_function(owner_api, code=LEGACY)
    response = switch(owner_api, function["id"], "node")
    assert response.status_code == 400
    assert '"node" is not a valid choice.' in response.json()["errors"]["interface"]
