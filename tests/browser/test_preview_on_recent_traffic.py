"""Preview on recent traffic from the editor: a changed draft run on a source's latest
webhooks shows the summary at the top, and the webhook that differs opens on its diff."""

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

CURRENT = """async function onRequest(request) {
  const { userId } = request.json();
  Segment.track({ event: 'Signed Up', userId });
}"""
DRAFT = CURRENT.replace("event: 'Signed Up'", "event: userId === 'u3' ? 'Registered' : 'Signed Up'")


@pytest.fixture
def source(owner_api):
    """A source on v1 of CURRENT that ran 5 webhooks; the function's draft is DRAFT."""
    function = owner_api.post("functions/", json={"name": "Previewed", "code": CURRENT})
    assert function.status_code == 201, function.text
    function = function.json()
    assert owner_api.post(f"functions/{function['id']}/deploy/", json={}).status_code == 201
    created = owner_api.post("sources/", json={"name": "Signups", "function": function["id"]})
    assert created.status_code == 201, created.text
    source = created.json()
    for n in range(5):
        sent = httpx.post(source["webhook_url"], json={"userId": f"u{n}"}, timeout=10)
        assert sent.status_code == 200, sent.text
    deadline = time.monotonic() + 20
    while owner_api.get(f"sources/{source['slug']}/logs/").json()["count"] < 5:
        assert time.monotonic() < deadline, "the webhooks did not run"
        time.sleep(0.2)
    assert owner_api.patch(f"functions/{function['id']}/", json={"code": DRAFT}).status_code == 200
    yield {"function": function, **source}
    owner_api.delete(f"sources/{source['slug']}/")
    owner_api.delete(f"functions/{function['id']}/?force=true")


def test_preview_the_draft_on_recent_traffic_and_open_a_diff(login, source):
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{source['function']['id']}/")
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-source")).to_have_value(source["slug"])
    page.fill("#preview-count", "5")
    page.get_by_role("button", name="Preview on recent traffic").click()
    summary = page.get_by_test_id("preview-summary")
    expect(summary).to_contain_text("5 webhooks: 4 same, 1 different", timeout=20_000)
    expect(summary).to_contain_text("events: 1 changed, 0 new, 0 missing")
    expect(page.locator("#preview-state")).to_have_text("Done: 5 webhooks")
    expect(page.locator("#preview-fetch-note")).to_contain_text("fetch was off")
    webhooks = page.locator(".preview-webhook")
    expect(webhooks).to_have_count(1)
    webhooks.first.locator("summary").click()
    expect(webhooks.first.locator(".preview-lines")).to_have_text(
        'changed events[0].event: was "Signed Up", now "Registered"'
    )
    expect(page.locator("#preview-cancel")).to_be_hidden()
    screenshot(page, "editor-preview")


def test_only_owners_see_the_preview(login, source):
    page = login("source_admin")
    page.goto(f"/workspaces/acme/functions/{source['function']['id']}/")
    expect(page.get_by_role("tab", name="Versions")).to_be_visible()
    expect(page.get_by_role("tab", name="Preview")).to_have_count(0)
