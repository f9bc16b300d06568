"""The two JSON endpoints of the pages: a source's 24-hour chart, and Run for a
function that is not created yet."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from catalog.models import Function, Interface
from tests.factories import PASSWORD, SourceFactory, deployed_function

pytestmark = pytest.mark.django_db


def test_stats_count_executions_and_errors_per_hour(client, owner, workspace):
    from ingest.models import Execution, IngestEvent

    source = SourceFactory(function=deployed_function(workspace=workspace), slug="s1")
    event = IngestEvent.objects.create(
        source=source, version=source.version, method="POST", path="/hooks/x", headers={},
        raw_body=b"{}",
    )  # fmt: skip
    now = timezone.now()
    for status, started in [
        ("succeeded", now),
        ("failed", now),
        ("succeeded", now - timedelta(days=2)),
    ]:
        Execution.objects.create(
            ingest_event=event, source=source, version=source.version, attempt=1,
            started_at=started, duration_ms=1.0, status=status,
        )  # fmt: skip
    client.login(username=owner.username, password=PASSWORD)
    hours = client.get("/workspaces/acme/sources/s1/stats.json").json()["hours"]
    assert len(hours) == 24
    assert sum(h["total"] for h in hours) == 2
    assert sum(h["errors"] for h in hours) == 1
    assert hours[-1]["total"] == 2


SCRATCH = "/workspaces/acme/functions/new/test/"
BODY = {
    "code": "async function onRequest() {}",
    "request": {"method": "POST", "url": "https://example.com/", "headers": {}, "body": {}},
    "definitions": [{"name": "apiKey", "type": "string"}],
    "settings": {"apiKey": "k"},
}


def test_scratch_run_uses_the_test_run_service(client, owner):
    client.login(username=owner.username, password=PASSWORD)
    result = {
        "events": [],
        "objects": [],
        "logs": [],
        "error": None,
        "fetches": [],
        "duration_ms": 1,
    }
    with mock.patch("catalog.services.code_test_run", return_value=result) as run:
        response = client.post(SCRATCH, BODY, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == result
    kwargs = run.call_args.kwargs
    assert kwargs["code"] == BODY["code"] and kwargs["settings"] == {"apiKey": "k"}
    assert (
        kwargs["definitions"] == BODY["definitions"] and kwargs["interface"] == Interface.ON_REQUEST
    )
    assert not Function.objects.exists()  # nothing is written


def test_scratch_run_refuses_members_and_bad_definitions(client, owner, member_user):
    client.login(username=member_user.username, password=PASSWORD)
    assert client.post(SCRATCH, BODY, content_type="application/json").status_code == 403
    client.logout()
    client.login(username=owner.username, password=PASSWORD)
    bad = {**BODY, "definitions": [{"name": "1bad"}]}
    response = client.post(SCRATCH, bad, content_type="application/json")
    assert response.status_code == 400
    assert "settings[0].name" in response.json()["errors"]


def test_a_member_is_refused_before_anything_is_checked(client, member_user):
    client.login(username=member_user.username, password=PASSWORD)
    bad = {**BODY, "definitions": [{"name": "1bad"}]}
    response = client.post(SCRATCH, bad, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only workspace owners and source admins may run functions."


def test_scratch_run_runs_the_code_in_a_worker(client, source_admin, celery_worker):
    code = """
async function onRequest(request, settings) {
  console.log('key', settings.apiKey);
  Segment.track({ event: 'Tried', userId: request.json().user });
}
"""
    client.login(username=source_admin.username, password=PASSWORD)
    body = {**BODY, "code": code, "request": {"payload": {"body": {"user": "u1"}}}}
    response = client.post(SCRATCH, body, content_type="application/json")
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["error"] is None
    assert [(e["event"], e["userId"]) for e in result["events"]] == [("Tried", "u1")]
    assert result["logs"][0]["message"] == "key k"
    assert not Function.objects.exists()


def test_scratch_run_checks_values_against_the_definitions(client, owner):
    client.login(username=owner.username, password=PASSWORD)
    body = {**BODY, "definitions": [{"name": "retries", "type": "boolean"}]}
    body["settings"] = {"retries": "three"}
    response = client.post(SCRATCH, body, content_type="application/json")
    assert response.status_code == 400
    assert "settings.retries" in response.json()["errors"]
