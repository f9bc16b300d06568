"""Saved tests in the editor: a caught webhook's Run becomes a test, a change that breaks
it fails "Run all tests" (Ctrl+Shift+Enter) with its differences, the deploy gate refuses,
and "Deploy anyway" with a reason deploys and is audited."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

MESSAGE = {"type": "track", "event": "Signed Up", "userId": "u-7", "properties": {"plan": "pro"}}


def test_save_a_test_from_a_capture_break_the_code_and_see_the_gate_refuse(login, owner_api):
    function = create_function(owner_api, "Gated", deploy=False)
    page = login("owner", refusals=True)  # the gate's 409
    page.goto(f"/workspaces/acme/functions/{function['id']}/")

    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_contain_text("Listening")
    assert httpx.post(page.input_value("#catcher-url"), json=MESSAGE).status_code == 200
    expect(page.locator("#captures .capture")).to_have_count(1)
    page.get_by_role("button", name="Auto-fill via webhook").click()
    expect(page.locator("#result-events")).to_contain_text("Signed Up", timeout=30_000)

    page.get_by_role("button", name="Save as test").click()
    expectation = page.input_value("#test-expect")
    assert '"event": "Signed Up"' in expectation and '"messageId": "*"' in expectation
    page.fill("#test-name", "signed up stays a track")
    page.get_by_role("button", name="Save test").click()
    expect(page.locator("#save-test-dialog")).to_be_hidden()

    page.get_by_role("tab", name="Tests").click()
    expect(page.locator("#saved-tests")).to_contain_text("signed up stays a track")
    page.get_by_role("button", name="Run all tests").click()
    expect(page.locator("#tests-summary")).to_have_text("1 passed, 0 failed", timeout=30_000)

    # Break it: every track is renamed.
    code = owner_api.get(f"functions/{function['id']}/").json()["code"]
    assert "Segment.track(message);" in code
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(
        code.replace("Segment.track(message);", "Segment.track({ ...message, event: 'Renamed' });")
    )
    page.keyboard.press("Control+Shift+Enter")
    expect(page.locator("#tests-summary")).to_have_text("0 passed, 1 failed", timeout=30_000)
    failure = page.locator("#saved-tests .saved-test.failed")
    expect(failure).to_contain_text("FAIL")
    expect(failure.locator("pre.differences")).to_contain_text("Renamed")
    screenshot(page, "editor-saved-tests")

    page.get_by_role("button", name="Save & Deploy").click()
    page.fill("#deploy-message", "rename tracks")
    page.get_by_role("button", name="Deploy", exact=True).click()
    refusal = page.locator("#gate-refusal")
    expect(refusal).to_contain_text("Not deployed: 1 of 1 saved tests fail")
    expect(refusal).to_contain_text("signed up stays a track")
    page.get_by_role("button", name="Deploy anyway").click()
    expect(refusal).to_contain_text("Say why")
    page.fill("#deploy-anyway-reason", "the rename is wanted; the test is updated next")
    page.get_by_role("button", name="Deploy anyway").click()
    expect(page.locator("#deployed-title")).to_have_text("Deployed version 1", timeout=30_000)

    audit = owner_api.get("audit/", params={"limit": 20}).json()["results"]
    anyway = [entry for entry in audit if entry["action"] == "function.deploy_anyway"]
    assert anyway and anyway[0]["details"]["failed_tests"] == ["signed up stays a track"]
