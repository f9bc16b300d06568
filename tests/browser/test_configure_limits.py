"""Configure sets a function's time limit and retry policy: the editor shows them, a
wrong combination is refused in words under its field, and a dead letter on the source
page says which policy applied and why it stopped."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
THROWS = "async function onRequest() { throw new TypeError('mapping broke'); }"


def test_configure_sets_the_time_limit_and_retries_and_both_are_shown(login, owner_api, server):
    made = owner_api.post("functions/", json={"name": "Limits", "code": THROWS})
    assert made.status_code == 201, made.text
    function = made.json()
    page = login("owner", refusals=True)
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    shown = page.get_by_test_id("run-policy")
    expect(shown).to_contain_text("Time limit 1 s (default) · Retries: Any failure: 5 attempts")

    page.get_by_role("button", name="Configure").click()
    dialog = page.locator("#configure-dialog")
    dialog.get_by_label("Time limit per execution").fill("7.5")
    dialog.get_by_label("Retry a failed execution").select_option("retry_error_and_timeouts")
    dialog.get_by_label("Attempts").fill("3")
    dialog.get_by_label("First wait").fill("600")
    dialog.get_by_label("Longest wait").fill("60")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator('[data-error="retry_policy.max_delay_s"]')).to_have_text(
        "The longest wait (60 s) cannot be shorter than the first (600 s)."
    )
    screenshot(page, "configure-limits-refused")
    dialog.get_by_label("First wait").fill("60")
    dialog.get_by_label("Longest wait").fill("120")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expected = (
        "Time limit 7.5 s · Retries: RetryError and timeouts only: 3 attempts, waiting 1 min "
        "and 2 min between them"
    )
    expect(shown).to_contain_text(expected)
    screenshot(page, "editor-run-policy")
    page.reload()
    expect(shown).to_contain_text(expected)  # saved in the draft

    page.get_by_role("button", name="Save & Deploy").click()
    page.locator("#deploy-form").get_by_role("button", name="Deploy").click()
    expect(page.locator("#deployed-title")).to_have_text("Deployed version 1")
    source = owner_api.post("sources/", json={"name": "Limited", "function": function["id"]})
    assert source.status_code == 201, source.text
    hook = httpx.post(source.json()["webhook_url"], json={"id": "evt_1"}, timeout=10)
    assert hook.status_code == 200

    page.goto("/workspaces/acme/sources/limited/")
    page.get_by_role("tab", name="Dead letters").click()
    letter = page.locator("#dead-letters .dead-letter").first
    expect(letter).to_contain_text(
        "TypeError is not retried: this function retries only on RetryError and timeouts."
    )
    letter.locator("summary").click()
    expect(letter.locator(".retry-policy")).to_contain_text(
        "Version 1, time limit 7.5 s. Retries: RetryError and timeouts only: 3 attempts"
    )
    screenshot(page, "source-dead-letter-policy")
