"""The webhook catcher: a POST made while the editor is open arrives live, and
Auto-fill via webhook runs it."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser


def test_a_post_to_the_test_url_is_caught_and_auto_fill_runs_it(login, owner_api):
    function = create_function(owner_api, "Catcher demo", deploy=False)
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")
    url = page.input_value("#catcher-url")
    assert "/hooks/test/" in url

    message = {
        "type": "track",
        "event": "Signed Up",
        "userId": "u-42",
        "properties": {"plan": "pro"},
    }
    assert httpx.post(url, json=message).status_code == 200
    expect(page.locator("#captures .capture")).to_have_count(1)
    expect(page.locator("#captures")).to_contain_text("application/json")

    page.get_by_role("button", name="Auto-fill via webhook").click()
    expect(page.get_by_role("tab", name="Manual input")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#body-editor")).to_contain_text("Signed Up")
    expect(page.locator("#result-events")).to_contain_text("Signed Up", timeout=30_000)
    screenshot(page, "editor-catcher")
