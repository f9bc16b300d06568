"""The editor's Run: the test endpoint hands the code to a real Celery worker on the
`interactive` queue and answers with the runner's result."""

import dataclasses
import threading

import pytest

import runner
from tests.catalog.helpers import API, API_KEY, REGION, create_function, deploy

pytestmark = pytest.mark.django_db

REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {"a": 1}}
FakeResult = runner.Result


@pytest.fixture
def recording_runner(monkeypatch):
    """runner.run replaced by a recorder, to see what the worker was given."""
    calls = []

    def run(code, request, settings, *, legacy=False, limits=None, secret_names=(), **kwargs):
        calls.append(
            {"code": code, "settings": settings, "legacy": legacy,
             "secret_names": list(secret_names), "thread": threading.current_thread().name}
        )  # fmt: skip
        return FakeResult(events=[{"type": "track", "event": "Ran"}])

    monkeypatch.setattr(runner, "run", run, raising=False)
    return calls


def test_the_draft_runs_in_a_worker_with_test_settings(owner_api, celery_worker, recording_runner):
    function = create_function(owner_api, code="// draft", settings=[REGION, API_KEY])
    owner_api.patch(
        f"{API}/functions/{function['id']}/test-settings/",
        {"settings": {"apiKey": "k-secret", "region": "eu"}},
        format="json",
    )

    response = owner_api.post(
        f"{API}/functions/{function['id']}/test/",
        {"request": REQUEST, "settings": {"region": "us"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["events"] == [{"type": "track", "event": "Ran"}]
    [call] = recording_runner
    assert call["code"] == "// draft" and call["legacy"] is False
    assert call["settings"] == {"apiKey": "k-secret", "region": "us"}
    assert call["secret_names"] == ["apiKey"]  # the encrypted setting: redacted from output
    assert call["thread"] != threading.current_thread().name  # not the web thread


def test_unsaved_code_or_a_version_can_be_run(owner_api, celery_worker, recording_runner):
    function = create_function(owner_api, code="// v1")
    deploy(owner_api, function["id"])
    owner_api.patch(f"{API}/functions/{function['id']}/", {"code": "// draft"}, format="json")
    url = f"{API}/functions/{function['id']}/test/"

    owner_api.post(url, {"request": REQUEST, "code": "// unsaved"}, format="json")
    owner_api.post(url, {"request": REQUEST, "version": 1}, format="json")

    assert [c["code"] for c in recording_runner] == ["// unsaved", "// v1"]


def test_a_wrong_setting_type_is_refused_before_running(owner_api, recording_runner):
    function = create_function(owner_api, settings=[REGION])
    response = owner_api.post(
        f"{API}/functions/{function['id']}/test/",
        {"request": REQUEST, "settings": {"region": ["eu"]}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"settings.region": ["Must be a string."]}
    assert recording_runner == []


def test_a_worker_that_does_not_answer_in_time_is_a_504(
    owner_api, celery_worker, monkeypatch, settings
):
    settings.RUNNER_LIMITS = dataclasses.replace(settings.RUNNER_LIMITS, timeout_ms=50)
    settings.TEST_RUN_MARGIN_S = 0.2
    # The run lasts until the answer is in: the wait times out whatever the result
    # backend's polling interval, and the worker's thread is free again right after.
    answered = threading.Event()
    monkeypatch.setattr(
        runner, "run", lambda *a, **k: answered.wait(30) and FakeResult(), raising=False
    )
    function = create_function(owner_api)

    try:
        response = owner_api.post(
            f"{API}/functions/{function['id']}/test/", {"request": REQUEST}, format="json"
        )
    finally:
        answered.set()

    assert response.status_code == 504
    assert "did not finish in time" in response.json()["detail"]


def test_the_real_sandbox_runs_the_draft(owner_api, celery_worker):
    code = """
async function onRequest(request, settings) {
  const body = request.json();
  console.log('region', settings.region);
  Segment.track({ event: 'Order Placed', userId: body.user, properties: { total: body.total } });
}
"""
    function = create_function(owner_api, code=code, settings=[REGION])
    response = owner_api.post(
        f"{API}/functions/{function['id']}/test/",
        {
            "request": {"payload": {"body": {"user": "u1", "total": 12}, "headers": {}}},
            "settings": {"region": "eu"},
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["error"] is None
    [event] = result["events"]
    assert (event["type"], event["event"], event["userId"]) == ("track", "Order Placed", "u1")
    assert event["properties"] == {"total": 12}
    assert "eu" in result["logs"][0]["message"]
