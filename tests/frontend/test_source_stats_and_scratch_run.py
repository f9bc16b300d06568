"""The two JSON endpoints of the pages: a source's 24-hour chart, and Run for a
function that is not created yet."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

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
    with mock.patch("catalog.services.function_test_run", return_value=result) as run:
        response = client.post(SCRATCH, BODY, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == result
    kwargs = run.call_args.kwargs
    assert kwargs["code"] == BODY["code"] and kwargs["settings"] == {"apiKey": "k"}
    assert kwargs["function"].pk is None  # nothing is written


def test_scratch_run_refuses_members_and_bad_definitions(client, owner, member_user):
    client.login(username=member_user.username, password=PASSWORD)
    assert client.post(SCRATCH, BODY, content_type="application/json").status_code == 403
    client.logout()
    client.login(username=owner.username, password=PASSWORD)
    bad = {**BODY, "definitions": [{"name": "1bad"}]}
    response = client.post(SCRATCH, bad, content_type="application/json")
    assert response.status_code == 400
    assert "settings[0].name" in response.json()["errors"]
