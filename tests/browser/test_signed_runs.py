"""Signed webhooks in the editor's Run: the body reaches the function byte for byte, so
a signature over it checks out, from a template's sample and from a catcher capture."""

import hashlib
import hmac
import json
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

SECRET = "whsec_signed_runs_0123456789"


def test_the_stripe_samples_run_with_their_own_settings(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="stripe"]').click()
    events, error = page.locator("#result-events"), page.locator("#result-error")

    page.select_option("#sample", label="charge.succeeded (signed)")
    page.get_by_role("button", name="▶ Run").click()
    expect(events).to_contain_text("Charge Succeeded", timeout=30_000)
    expect(error).not_to_contain_text("Error")
    screenshot(page, "editor-signed-sample")

    page.select_option("#sample", label="charge.succeeded with a wrong signature")
    page.get_by_role("button", name="▶ Run").click()
    expect(error).to_contain_text("Stripe signature does not match", timeout=30_000)

    # An unsigned sample runs without the secret the signed one brought.
    page.select_option("#sample", label="invoice.paid")
    page.get_by_role("button", name="▶ Run").click()
    expect(events).to_contain_text("Invoice Paid", timeout=30_000)
    expect(error).not_to_contain_text("Stripe-Signature")


def signed_stripe_charge() -> tuple[bytes, str]:
    """Stripe's own layout (indented JSON), which a parse and re-serialisation changes."""
    body = json.dumps(
        {
            "id": "evt_catcher_1",
            "type": "charge.succeeded",
            "created": 1714645013,
            "data": {"object": {"id": "ch_c1", "amount": 700, "amount_refunded": 0,
                                "currency": "eur", "customer": "cus_c1"}},
        },
        indent=2,
    ).encode()  # fmt: skip
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


def test_a_caught_signed_webhook_verifies_when_run(login, owner_api):
    function = create_function(owner_api, "Signed catcher", template="stripe", deploy=False)
    kept = owner_api.patch(
        f"functions/{function['id']}/test-settings/", json={"settings": {"signingSecret": SECRET}}
    )
    assert kept.status_code == 200, kept.text
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")

    body, signature = signed_stripe_charge()
    caught = httpx.post(
        page.input_value("#catcher-url"),
        content=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )
    assert caught.status_code == 200
    page.locator("#captures .capture").first.get_by_role("button", name="Use and run").click()
    expect(page.locator("#result-events")).to_contain_text("Charge Succeeded", timeout=30_000)
    expect(page.locator("#result-error")).not_to_contain_text("signature")
