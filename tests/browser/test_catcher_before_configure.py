"""The webhook catcher of a function not created yet: the editor of a new function has
a test URL from the start, what is sent to it can be run at once, and Configure makes
it the function's test URL with what it caught. A new function left unsaved gives its
URL up when the page goes."""

import json
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

CHARGE = {
    "id": "evt_scratch_1",
    "type": "charge.succeeded",
    "data": {"object": {"id": "ch_s1", "amount": 1500, "currency": "eur", "customer": "cus_s1"}},
}


def test_a_new_function_catches_webhooks_before_configure_and_keeps_them(login, owner_api):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="stripe"]').click()
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")
    expect(page.locator("#catcher-note")).to_be_visible()
    url = page.input_value("#catcher-url")
    assert "/hooks/test/" in url

    assert httpx.post(url, content=json.dumps(CHARGE)).status_code == 200
    capture = page.locator("#captures .capture")
    expect(capture).to_have_count(1)
    screenshot(page, "editor-catcher-before-configure")
    capture.first.get_by_role("button", name="Use and run").click()
    expect(page.locator("#result-events")).to_contain_text("Charge Succeeded", timeout=30_000)
    # A caught request runs with the function's test values, not a sample's.
    expect(page.locator("#sample")).to_have_value("")

    page.get_by_role("button", name="Configure").click()
    page.fill("#fn-name", "Stripe caught early")
    page.get_by_role("button", name="Create Function").click()
    expect(page).to_have_url(re.compile(r"/workspaces/acme/functions/\d+/$"))
    expect(page.locator("#toasts")).to_contain_text("Created Stripe caught early")
    function_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-url")).to_have_value(url)
    expect(page.locator("#catcher-note")).to_be_hidden()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")
    later = {**CHARGE, "id": "evt_scratch_2"}
    assert httpx.post(url, content=json.dumps(later)).status_code == 200
    expect(capture).to_have_count(2)
    assert owner_api.get(f"functions/{function_id}/catcher/").json()["url"] == url
    assert owner_api.get(f"functions/{function_id}/captures/").json()["count"] == 2

    page.reload()
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#captures .capture")).to_have_count(2)


def test_an_abandoned_new_function_gives_its_test_url_up(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="default"]').click()
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")
    url = page.input_value("#catcher-url")
    assert httpx.post(url, json={"type": "track"}).status_code == 200

    page.on("dialog", lambda dialog: dialog.accept())  # leave the unsaved function
    page.goto("/workspaces/acme/functions/")

    deadline = time.monotonic() + 10
    while httpx.post(url, json={"type": "track"}).status_code != 404:
        assert time.monotonic() < deadline, "the test URL still catches after the page went"
        time.sleep(0.2)
