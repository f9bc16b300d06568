"""A newcomer's path, end to end in Chromium: from New Function to a source running
version 2 of a Stripe function, with a real webhook in between."""

import hashlib
import hmac
import json
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

SECRET = "whsec_browser_test_0123456789"


def signed_charge() -> tuple[bytes, dict]:
    """A Stripe charge.succeeded event signed the way Stripe signs it."""
    body = json.dumps(
        {
            "id": "evt_browser_1",
            "object": "event",
            "type": "charge.succeeded",
            "created": 1714645013,
            "data": {
                "object": {
                    "id": "ch_browser_1",
                    "object": "charge",
                    "amount": 4900,
                    "amount_refunded": 0,
                    "currency": "usd",
                    "customer": "cus_browser_1",
                    "status": "succeeded",
                    "payment_method_details": {"type": "card"},
                }
            },
        }
    ).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": f"t={stamp},v1={signature.hexdigest()}",
    }
    return body, headers


def test_newcomer_builds_deploys_connects_and_upgrades(login, server):
    page = login("owner")
    page.get_by_role("link", name="Acme").click()
    expect(page).to_have_url(re.compile(r"/workspaces/acme/functions/$"))
    screenshot(page, "catalog-empty")

    # New Function → Source Function → Build → the template picker → Stripe.
    page.get_by_role("button", name="New Function").click()
    expect(page.get_by_label("Source Function")).to_be_checked()
    page.get_by_role("link", name="Build").click()
    expect(page.locator("#template-dialog")).to_be_visible()
    screenshot(page, "template-picker")
    page.locator('[data-template="stripe"]').click()
    expect(page.locator("#code .view-lines")).to_contain_text("Stripe webhooks")

    # Run with manual input (a sample of the template) and see the track event.
    page.select_option("#sample", label="invoice.paid")
    page.get_by_role("button", name="▶ Run").click()
    events = page.locator("#result-events")
    expect(events).to_contain_text("Invoice Paid", timeout=30_000)
    expect(events.locator(".type-track")).to_have_count(1)
    screenshot(page, "editor-run")

    # Configure and create.
    page.get_by_role("button", name="Configure").click()
    page.fill("#fn-name", "Stripe billing")
    page.get_by_role("button", name="Create Function").click()
    expect(page).to_have_url(re.compile(r"/workspaces/acme/functions/\d+/$"))
    expect(page.locator("#dirty-state")).to_have_text("Draft saved")

    # Save & Deploy → version 1, nothing lags yet.
    page.get_by_role("button", name="Save & Deploy").click()
    page.fill("#deploy-message", "First version")
    page.get_by_role("button", name="Deploy", exact=True).click()
    deployed = page.locator("#deployed-dialog")
    expect(deployed).to_contain_text("Deployed version 1")
    expect(deployed).to_contain_text("No source lags behind.")
    deployed.get_by_role("button", name="Close").click()
    editor_url = page.url

    # Connect a source from the catalog's side sheet, with its (secret) setting.
    page.get_by_role("link", name="Functions", exact=True).click()
    page.get_by_role("button", name="Stripe billing").click()
    sheet = page.locator("#function-sheet")
    expect(sheet).to_contain_text("Deployed version: v1")
    sheet.get_by_role("link", name="Connect source").click()
    page.fill("#source-name", "Stripe live")
    page.fill("#setting-signingSecret", SECRET)
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sources/stripe-live/$"))
    expect(page.locator("#live-state")).to_contain_text("Live")

    # A webhook to its URL: the execution appears live and its event is listed.
    body, headers = signed_charge()
    answer = httpx.post(page.input_value("#webhook-url"), content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    page.get_by_role("tab", name="Live").click()
    execution = page.locator("#executions tr.execution").first
    expect(execution).to_contain_text("succeeded", timeout=30_000)
    expect(page.locator("#events")).to_contain_text("Charge Succeeded")
    expect(page.locator("#chart-summary")).to_contain_text("1 execution, 0 errors")
    execution.click()
    expect(page.locator(".execution-detail")).to_be_visible()
    screenshot(page, "source")

    # Deploy v2 from the editor: the source lags behind, then is upgraded.
    page.goto(editor_url)
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n// v2: no change in behaviour\n")
    expect(page.locator("#dirty-state")).to_have_text("● Unsaved changes")
    page.keyboard.press("Control+s")
    expect(page.locator("#dirty-state")).to_have_text("Draft saved")
    page.get_by_role("button", name="Save & Deploy").click()
    page.fill("#deploy-message", "Second version")
    page.get_by_role("button", name="Deploy", exact=True).click()
    lagging = page.locator("#lagging")
    expect(lagging).to_contain_text("Stripe live")
    expect(lagging).to_contain_text("behind")
    screenshot(page, "deployed-lagging")
    deployed.get_by_role("button", name="Close").click()

    page.get_by_role("tab", name="Versions").click()
    expect(page.locator("#versions .version")).to_have_count(2)
    page.select_option("#diff-left", label="v1")
    page.select_option("#diff-right", label="v2")
    page.get_by_role("button", name="Show diff").click()
    expect(page.locator("#diff-title")).to_have_text("v1 ↔ v2")
    expect(page.locator("#diff")).to_contain_text("v2: no change in behaviour")
    screenshot(page, "versions-diff")

    page.goto("/workspaces/acme/sources/stripe-live/")
    expect(page.locator("#behind-badge")).to_be_visible()
    page.get_by_role("button", name="Upgrade to v2").click()
    expect(page.locator("#pinned-version")).to_have_text("v2")
    expect(page.locator("#behind-badge")).to_have_count(0)
