"""Role-aware pages: a Source Admin cannot edit code but can connect a source; a
Member sees read-only pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def deployed(owner_api):
    return create_function(owner_api, "Forwarder", template="default")


def test_source_admin_cannot_edit_code_but_connects_a_source(login, deployed):
    page = login("source_admin")
    page.goto(f"/workspaces/acme/functions/{deployed['id']}/")
    expect(page.locator("#read-only")).to_be_visible()
    for control in ("#save", "#deploy", "#configure", "#add-setting"):
        expect(page.locator(control)).to_have_count(0)
    expect(page.get_by_role("button", name="▶ Run")).to_be_visible()  # they may test
    # The code is loaded (not the empty model the page starts with) before it is read.
    expect(page.locator("#code .view-line").first).not_to_have_text("")
    first_line = page.locator("#code .view-line").first.inner_text()
    page.locator("#code .view-lines").click()
    page.keyboard.type("oops")
    expect(page.locator("#code .view-line").first).to_have_text(first_line)

    page.goto("/workspaces/acme/functions/")
    expect(page.get_by_role("button", name="New Function")).to_have_count(0)
    page.get_by_role("link", name="Sources").click()
    page.get_by_role("link", name="Connect source").click()
    page.get_by_role("link", name="Forwarder").click()
    page.fill("#source-name", "Admin source")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sources/admin-source/$"))
    expect(page.get_by_role("button", name="Disable")).to_be_visible()


def test_member_sees_read_only_pages(login, deployed, owner_api):
    owner_api.post("sources/", json={"name": "Owner source", "function": deployed["id"]})
    page = login("member", width=1024, height=768)
    page.goto("/workspaces/acme/functions/")
    expect(page.get_by_role("button", name="New Function")).to_have_count(0)
    page.get_by_role("button", name="Forwarder").click()
    sheet = page.locator("#function-sheet")
    expect(sheet.get_by_role("link", name="View code")).to_be_visible()
    expect(sheet.get_by_role("link", name="Connect source")).to_have_count(0)
    expect(sheet.get_by_role("button", name="Delete function…")).to_have_count(0)

    page.goto(f"/workspaces/acme/functions/{deployed['id']}/")
    expect(page.locator("#read-only")).to_be_visible()
    for control in ("#run", "#save", "#deploy", "#autofill"):
        expect(page.locator(control)).to_have_count(0)
    screenshot(page, "editor-member-1024")

    page.goto("/workspaces/acme/sources/")
    expect(page.get_by_role("link", name="Connect source")).to_have_count(0)
    page.get_by_role("link", name="Owner source").click()
    # The webhook URL works as a write credential: only who manages the source sees it.
    expect(page.locator("#webhook-url")).to_have_count(0)
    expect(page.locator("#webhook-url-hidden")).to_be_visible()
    for control in ("#toggle-enabled", "#move", "#delete-source", "#source-settings-form"):
        expect(page.locator(control)).to_have_count(0)

    page.goto("/workspaces/acme/settings/")
    expect(page.locator("#add-member")).to_have_count(0)
    expect(page.locator("#audit")).to_have_count(0)
    expect(page.locator("#members")).to_contain_text("owner@acme.example")
    screenshot(page, "settings-member")
