"""The editor's Run in a real worker runs as a source would: with the draft's (or the
version's) time limit, an empty cache every time, and no fetch to the product's own
webhook URLs."""

import pytest

from tests.catalog.helpers import API, create_function, deploy

pytestmark = pytest.mark.django_db

REQUEST = {"method": "POST", "url": "https://example.com/hook", "headers": {}, "body": {}}
WAITING = """async function onRequest() {
  await new Promise((resolve) => setTimeout(resolve, 1300));
  console.log('done');
}"""


def run_in_editor(api, function_id, **body) -> dict:
    response = api.post(
        f"{API}/functions/{function_id}/test/", {"request": REQUEST, **body}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_a_run_has_the_draft_s_time_limit_and_a_version_s_its_own(owner_api, celery_worker):
    function = create_function(owner_api, code=WAITING)
    deploy(owner_api, function["id"])  # version 1: the default second
    stopped = run_in_editor(owner_api, function["id"])
    assert stopped["error"]["name"] == "TimeoutError"
    assert stopped["error"]["message"] == "the function ran longer than its 1000 ms limit"

    owner_api.patch(f"{API}/functions/{function['id']}/", {"time_limit_ms": 3000}, format="json")
    assert run_in_editor(owner_api, function["id"])["logs"][0]["message"] == "done"
    assert run_in_editor(owner_api, function["id"], version=1)["error"]["name"] == "TimeoutError"


def test_every_run_starts_with_an_empty_cache(owner_api, celery_worker):
    code = """async function onRequest() {
      let missed = false;
      await cache.load('token', -1, async () => { missed = true; return 'fresh'; });
      console.log(missed ? 'miss' : 'hit');
    }"""
    function = create_function(owner_api, code=code)
    runs = [run_in_editor(owner_api, function["id"])["logs"][0]["message"] for _ in range(2)]
    assert runs == ["miss", "miss"]


def test_a_run_cannot_send_to_the_product_s_webhook_urls(owner_api, celery_worker, settings):
    code = """async function onRequest(request) {
      await fetch(request.json().url, { method: 'POST', body: '{}' });
    }"""
    function = create_function(owner_api, code=code)
    hook = f"{settings.PUBLIC_URL}/hooks/some-source-token"
    body = {**REQUEST, "body": {"url": hook}}
    response = owner_api.post(
        f"{API}/functions/{function['id']}/test/", {"request": body}, format="json"
    )
    error = response.json()["error"]
    assert error["name"] == "FetchError"
    assert error["message"] == (
        f"request to {settings.PUBLIC_URL}/hooks/… failed, reason: a function cannot send to "
        "its own webhook URLs"
    )
    assert "some-source-token" not in str(response.json())
