"""The empty catalog's first-run guide: three steps, a test URL ready to copy; a webhook
sent to it before a template is picked is in the editor's catcher, ready to run."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

MESSAGE = {"type": "track", "event": "Signed Up", "userId": "u-first"}


@pytest.fixture
def empty_catalog(owner_api):
    """The workspace with no function left (earlier modules made some)."""
    for function in owner_api.get("functions/", params={"limit": 100}).json()["results"]:
        owner_api.delete(f"functions/{function['id']}/", params={"force": "true"})


def test_three_steps_with_the_test_url_ready_to_copy(login, empty_catalog):
    page = login("owner")
    page.goto("/workspaces/acme/functions/")
    guide = page.locator("#first-run")
    expect(guide.get_by_role("heading")).to_have_text("Your first function in three steps")
    expect(guide.locator("ol.steps > li")).to_have_count(3)
    url = page.locator("#first-run-url")
    expect(url).to_have_value(re.compile(r"/hooks/test/"))
    expect(page.locator("#first-run-curl")).to_contain_text(url.input_value())
    screenshot(page, "catalog-first-run")

    # A reload keeps the same test URL (one per user, not one per visit).
    first = url.input_value()
    page.reload()
    expect(url).to_have_value(first)

    assert httpx.post(first, json=MESSAGE).status_code == 200
    page.get_by_role("link", name="Pick a template").click()
    page.locator("#template-dialog").get_by_role("button", name="Default").click()
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-url")).to_have_value(first)
    expect(page.locator("#captures .capture")).to_have_count(1)
    page.get_by_role("button", name="Auto-fill via webhook").click()
    expect(page.locator("#result-events")).to_contain_text("Signed Up", timeout=30_000)


def test_members_see_who_makes_functions(login, empty_catalog):
    page = login("member")
    page.goto("/workspaces/acme/functions/")
    expect(page.locator("#first-run")).to_have_count(0)
    expect(page.locator(".card.empty")).to_contain_text("The workspace's owners make them")
