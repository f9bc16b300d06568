"""Save & Deploy of code with a syntax error: refused with the error at its line (a
marker, and a button that shows the line), the broken draft saved, no new version.
Restore asks before it replaces changes that are in no version."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

BROKEN = """async function onRequest(request, settings) {
  const body = request.json();
  Segment.track({ event: 'Webhook Received', userId: body.userId, properties: body });
  }
}
"""


def _paste(page, code: str) -> None:
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+a")
    page.evaluate("text => navigator.clipboard.writeText(text)", code)
    page.keyboard.press("Control+v")


def test_broken_code_is_refused_at_its_line_and_the_draft_kept(login, server, owner_api):
    function = create_function(owner_api, "Broken deploy")  # v1: the default template
    page = login("owner", refusals=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"])
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    _paste(page, BROKEN)
    expect(page.locator("#dirty-state")).to_have_text("● Unsaved changes")

    page.get_by_role("button", name="Save & Deploy").click()
    page.locator("#deploy-message").fill("this one is broken")
    page.locator("#deploy-form").get_by_role("button", name="Deploy").click()

    refusal = page.locator("#deploy-compile-error")
    expect(refusal).to_contain_text(
        "Not deployed: the draft does not compile (SyntaxError: Unexpected token '}' at line 5, "
        "column 1). The draft is saved; fix the code and deploy again."
    )
    expect(page.locator("#dirty-state")).to_have_text("Draft saved")
    screenshot(page, "editor-deploy-refused")
    page.get_by_test_id("show-compile-error").click()
    expect(page.locator("#deploy-dialog")).not_to_be_visible()
    expect(page.locator("#code .squiggly-error").first).to_be_visible()

    stored = owner_api.get(f"functions/{function['id']}/").json()
    assert stored["code"] == BROKEN and stored["deployed_version"] == 1
    versions = owner_api.get(f"functions/{function['id']}/versions/").json()
    assert [v["number"] for v in versions["results"]] == [1]


def test_restore_asks_before_it_replaces_what_no_version_has(login, server, owner_api):
    function = create_function(owner_api, "Restore asks")
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n// my unsaved change\n")
    expect(page.locator("#dirty-state")).to_have_text("● Unsaved changes")

    page.get_by_role("tab", name="Versions").click()
    restore = page.locator('[data-version="1"]').get_by_role("button", name="Restore into draft")
    restore.click()
    dialog = page.locator("#restore-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Restore v1 into the draft?")
    expect(dialog.locator("#restore-text")).to_have_text(
        "v1 takes the place of your unsaved changes in the editor, and is saved as the draft. "
        "Those changes are in no version: once replaced, they are gone for good."
    )
    dialog.get_by_role("button", name="Keep my draft").click()
    expect(dialog).not_to_be_visible()
    expect(page.locator("#code")).to_contain_text("// my unsaved change")
    expect(page.locator("#dirty-state")).to_have_text("● Unsaved changes")

    restore.click()
    dialog.get_by_role("button", name="Replace with v1").click()
    expect(page.locator("#dirty-state")).to_have_text("Draft saved")
    expect(page.locator("#code")).not_to_contain_text("// my unsaved change")

    restore.click()  # the draft is v1 now: nothing to lose, nothing asked
    expect(page.locator(".toast").last).to_contain_text("Restored into the draft")
    expect(dialog).not_to_be_visible()
