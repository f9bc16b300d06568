"""The main pages with real content, each checked and photographed: `make screenshots`
writes them to docs/screenshots/ for docs/frontend.md, the suite to tests/browser/
screenshots/. Light and dark, at the width of a laptop."""

import json

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

TRACKS = [
    {"type": "track", "event": "Signed Up", "userId": f"u{n}", "properties": {"plan": "pro"}}
    for n in range(6)
]
REFUSED = {"type": "track", "userId": "u9"}  # no event name: the default template refuses it


@pytest.fixture(scope="module")
def tour(owner_api):
    """A catalog with three functions, one with a source that received webhooks."""
    function = create_function(owner_api, "Product events")
    create_function(owner_api, "Stripe billing", template="stripe")
    create_function(owner_api, "GitHub issues", template="github", deploy=False)
    source = owner_api.post("sources/", json={"name": "Web app", "function": function["id"]})
    assert source.status_code == 201, source.text
    url = source.json()["webhook_url"]
    for body in [*TRACKS, REFUSED]:
        assert httpx.post(url, content=json.dumps(body)).status_code == 200
    return {"function": function, "source": source.json()}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_main_pages(login, tour, scheme):
    page = login("owner", width=1440, height=900)
    page.emulate_media(color_scheme=scheme)
    suffix = "" if scheme == "light" else "-dark"

    page.goto("/workspaces/acme/functions/")
    expect(page.locator("#function-list")).to_contain_text("Stripe billing")
    screenshot(page, f"catalog{suffix}")

    page.goto(f"/workspaces/acme/functions/{tour['function']['id']}/")
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")
    assert httpx.post(page.input_value("#catcher-url"), json=TRACKS[0]).status_code == 200
    page.get_by_role("button", name="Auto-fill via webhook").click()
    expect(page.locator("#result-events")).to_contain_text("Signed Up", timeout=30_000)
    screenshot(page, f"editor{suffix}")

    page.goto(f"/workspaces/acme/sources/{tour['source']['slug']}/")
    expect(page.locator("#executions tbody tr")).to_have_count(7, timeout=30_000)
    page.reload()
    expect(page.locator("#chart-summary")).to_have_text("7 executions, 1 error")
    screenshot(page, f"source{suffix}")

    page.goto("/workspaces/acme/destinations/")
    expect(page.locator("h1")).to_have_text("Destinations")
    screenshot(page, f"destinations{suffix}")
