"""Each sample runs with its own test settings in the editor, after Configure too: a
signed sample's secret never sticks to the unsigned samples chosen after it (Stripe's
invoice.paid, Pipedrive's added.deal, Intercom's); the samples stay the function's after
a reload; a stored secret test value is cleared with its own button (empty keeps it)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

SIGNED_AND_UNSIGNED = [
    ("stripe", "charge.succeeded (signed)", "invoice.paid", "Invoice Paid"),
    ("pipedrive", "updated.deal (won)", "added.deal", "Deal Added"),
    ("intercom", "conversation.admin.replied (signed)", "contact.user.created", None),
]


def run(page):
    page.get_by_role("button", name="▶ Run").click()


def configure(page, name: str) -> None:
    page.get_by_role("button", name="Configure").click()
    page.fill("#fn-name", name)
    page.get_by_role("button", name="Create Function").click()
    expect(page).to_have_url(re.compile(r"/workspaces/acme/functions/\d+/$"))
    expect(page.locator("#toasts")).to_contain_text(f"Created {name}")


@pytest.mark.parametrize(("slug", "signed", "unsigned", "event"), SIGNED_AND_UNSIGNED)
def test_an_unsigned_sample_runs_without_the_signed_ones_secret(
    login, slug, signed, unsigned, event
):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator(f'[data-template="{slug}"]').click()
    configure(page, f"{slug} sample settings")
    results, error = page.locator("#results"), page.locator("#result-error")

    page.select_option("#sample", label=signed)
    expect(page.locator("#sample-settings")).to_contain_text("this sample's own test settings")
    run(page)
    expect(error).to_contain_text("The function returned", timeout=30_000)

    page.select_option("#sample", label=unsigned)
    expect(page.locator("#sample-settings")).to_have_text(
        "This sample has no test settings of its own."
    )
    run(page)
    expect(error).to_contain_text("The function returned", timeout=30_000)
    if event:
        expect(results.locator("#result-events")).to_contain_text(event)

    # And back: the signed one still has its secret.
    page.select_option("#sample", label=signed)
    run(page)
    expect(error).to_contain_text("The function returned", timeout=30_000)


def test_the_samples_stay_with_the_function_and_show_their_settings(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="stripe"]').click()
    configure(page, "Stripe kept samples")

    page.reload()
    options = page.locator("#sample option")
    expect(options).to_have_count(7)
    expect(options.nth(0)).to_have_text("Custom request (the function's test values)")
    page.select_option("#sample", label="charge.succeeded (signed)")
    page.get_by_role("tab", name="Settings").click()
    secret = page.locator('.setting-def[data-setting="signingSecret"] input[type=password]')
    expect(secret).to_have_attribute("placeholder", "•••••• set (leave empty to keep)")
    screenshot(page, "editor-sample-settings")
    page.get_by_role("tab", name="Test", exact=True).click()
    page.select_option("#sample", label="invoice.paid")
    page.get_by_role("tab", name="Settings").click()
    expect(secret).to_have_attribute("placeholder", "not set")
    expect(page.get_by_role("button", name="Clear signingSecret")).to_have_count(0)


def test_a_stored_secret_test_value_is_cleared_with_its_button(login, owner_api):
    function = create_function(owner_api, "Clear a secret", template="stripe", deploy=False)
    kept = owner_api.patch(
        f"functions/{function['id']}/test-settings/",
        json={"settings": {"signingSecret": "whsec_kept_for_run"}},
    )
    assert kept.json()["test_settings"] == {"signingSecret": {"set": True}}
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.select_option("#sample", label="Custom request (the function's test values)")
    expect(page.locator("#sample-settings")).to_have_text(
        "Runs with the function's test values: signingSecret."
    )
    page.get_by_role("tab", name="Settings").click()
    secret = page.locator('.setting-def[data-setting="signingSecret"] input[type=password]')
    expect(secret).to_have_attribute("placeholder", "•••••• set (leave empty to keep)")

    # Emptying the field keeps the stored value: Clear is what clears it.
    page.get_by_role("button", name="Clear signingSecret").click()
    expect(secret).to_have_attribute("placeholder", re.compile("^cleared"))
    page.get_by_role("button", name="Undo clear").click()
    expect(secret).to_have_attribute("placeholder", "•••••• set (leave empty to keep)")
    page.get_by_role("button", name="Clear signingSecret").click()
    page.get_by_role("button", name="Keep test values").click()
    expect(page.locator("#toasts")).to_contain_text("Test values kept for Run.")
    expect(secret).to_have_attribute("placeholder", "not set")
    stored = owner_api.get(f"functions/{function['id']}/").json()
    assert stored["test_settings"] == {"signingSecret": {"set": False}}

    # A sample's own secret, the same way.
    page.get_by_role("tab", name="Test", exact=True).click()
    page.select_option("#sample", label="charge.succeeded (signed)")
    page.get_by_role("tab", name="Settings").click()
    page.get_by_role("button", name="Clear signingSecret").click()
    page.get_by_role("button", name="Keep test values").click()
    expect(page.locator("#toasts")).to_contain_text("Test values kept with this sample.")
    samples = owner_api.get(f"functions/{function['id']}/samples/").json()["results"]
    signed = next(s for s in samples if s["name"] == "charge.succeeded (signed)")
    assert signed["settings"] == {"signingSecret": {"set": False}}
