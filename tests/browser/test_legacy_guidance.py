"""A function written for the legacy interface: the Run's error shows the runner's
hint, a link to the migration steps (an in-product page) and, for an owner, the switch
to the legacy interface, after which it runs; a source admin (who runs functions but
does not change them) sees the guidance, not the switch. A new function can switch
before it is created."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

LEGACY = """exports.processEvents = async (event) => {
  return {
    events: [{ type: 'track', event: 'Legacy Event', userId: 'u1' }],
  };
};
"""


def _run(page) -> None:
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#run")).to_be_enabled(timeout=30_000)


def _legacy_function(owner_api, name: str) -> dict:
    created = owner_api.post("functions/", json={"name": name, "code": LEGACY})
    assert created.status_code == 201, created.text
    return created.json()


def test_the_hint_links_the_migration_and_the_switch_makes_it_run(login, owner_api):
    function = _legacy_function(owner_api, "Legacy switch")
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    _run(page)

    error = page.locator("#result-error")
    expect(error.locator(".error-link")).to_have_text(
        "ReferenceError: exports is not defined (line 1, column 1)"
    )
    expect(page.get_by_test_id("error-hint")).to_contain_text(
        "This looks like a function written for the legacy interface"
    )
    link = page.get_by_test_id("migration-link")
    expect(link).to_have_text("How to migrate it to onRequest")
    expect(link).to_have_attribute("href", "/help/legacy-functions/")
    screenshot(page, "editor-legacy-hint")

    page.get_by_role("button", name="Switch this function to the legacy interface").click()
    expect(page.locator("#result-events")).to_contain_text("Legacy Event", timeout=30_000)
    expect(error).to_have_text("✓ The function returned.")
    expect(page.get_by_test_id("interface-state")).to_have_text("Legacy interface")
    assert owner_api.get(f"functions/{function['id']}/").json()["interface"] == "legacy"
    page.get_by_role("button", name="Configure").click()
    expect(page.locator("#fn-interface")).to_have_value("legacy")


def test_the_migration_steps_page(login):
    page = login("member")
    page.goto("/help/legacy-functions/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Functions written for the legacy interface"
    )
    steps = page.locator("#migrate + ol.steps")
    expect(steps).to_contain_text("request.headers.get('X-Name')")
    expect(steps).to_contain_text("Segment.track({ ... })")


def test_a_source_admin_gets_the_guidance_but_not_the_switch(login, owner_api):
    function = _legacy_function(owner_api, "Legacy for a source admin")
    page = login("source_admin")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    _run(page)
    expect(page.get_by_test_id("migration-link")).to_be_visible()
    expect(page.get_by_test_id("switch-interface")).to_have_count(0)


def test_a_new_function_switches_before_it_is_created(login, server):
    page = login("owner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"])
    page.goto("/workspaces/acme/functions/new/")
    page.locator("#code .view-lines").wait_for()
    page.keyboard.press("Escape")
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+a")
    page.evaluate("text => navigator.clipboard.writeText(text)", LEGACY)
    page.keyboard.press("Control+v")
    _run(page)
    switch = page.get_by_role("button", name="Switch this function to the legacy interface")
    expect(switch).to_be_visible(timeout=30_000)  # the run's answer, on a busy machine too
    switch.click()
    expect(page.locator("#result-events")).to_contain_text("Legacy Event", timeout=30_000)

    page.get_by_role("button", name="Configure").click()
    expect(page.locator("#fn-interface")).to_have_value("legacy")
    page.locator("#fn-name").fill("Pasted legacy")
    page.get_by_role("button", name="Create Function").click()
    expect(page.locator("#function-name")).to_have_text("Pasted legacy")
    expect(page.get_by_test_id("interface-state")).to_be_visible()
