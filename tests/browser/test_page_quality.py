"""The pages read as an IDE: the source page's chart has a time axis, hover values and
errors stacked on executions; dark mode follows the system setting, Monaco's theme too."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

GOOD = '{"type": "track", "event": "Signed Up", "userId": "u1"}'
NO_NAME = '{"type": "track", "userId": "u1"}'  # the default template refuses it


@pytest.fixture(scope="module")
def source(owner_api):
    function = create_function(owner_api, "Charted")
    created = owner_api.post("sources/", json={"name": "Charted", "function": function["id"]})
    assert created.status_code == 201, created.text
    for body in (GOOD, GOOD, NO_NAME):
        assert httpx.post(created.json()["webhook_url"], content=body).status_code == 200
    return {"function": function, **created.json()}


def test_the_chart_shows_hours_and_values_on_hover(login, source):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    summary = page.locator("#chart-summary")
    # The executions run on the worker: reload until the three are counted.
    for _ in range(30):
        if "3 executions, 1 error" in summary.inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(summary).to_have_text("3 executions, 1 error")
    plot = page.locator("#chart .u-over")
    expect(plot).to_be_visible()
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)  # this hour
    values = page.locator("#chart .u-legend .u-series .u-value")
    expect(values.nth(0)).to_have_text(re.compile(r"^\d\d:00"))  # the hour under the cursor
    expect(values.nth(1)).to_have_text("3")
    expect(values.nth(2)).to_have_text("1")
    screenshot(page, "source-chart")


def test_dark_mode_follows_the_system_setting(login, source):
    page = login("owner")
    page.emulate_media(color_scheme="dark")
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 23, 28)"
    card = page.locator(".card").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert card == "rgb(28, 32, 40)"
    page.goto(f"/workspaces/acme/functions/{source['function']['id']}/")
    expect(page.locator("#code .monaco-editor")).to_have_class(re.compile("vs-dark"))
    screenshot(page, "editor-dark")
    page.emulate_media(color_scheme="light")
    expect(page.locator("#code .monaco-editor")).not_to_have_class(re.compile("vs-dark"))


def test_the_source_page_is_organised_in_tabs(login, source):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    tabs = page.get_by_role("tablist", name="Source").get_by_role("tab")
    expect(tabs).to_have_text(
        ["Overview", "Live", "Events", "Objects", "Dead letters 1", "Settings"]
    )
    expect(page.locator("#webhook-url")).to_be_visible()
    expect(page.locator("#executions")).to_be_hidden()
    page.get_by_role("tab", name="Live").click()
    expect(page.locator("#executions")).to_be_visible()
    expect(page.locator("#webhook-url")).to_be_hidden()
    page.get_by_role("tab", name="Dead letters").click()
    expect(page).to_have_url(re.compile(r"#dead-letters$"))
    page.reload()  # the tab is in the URL: a reload or a shared link opens it
    expect(page.locator("#dead-letters .dead-letter")).to_have_count(1)
    expect(page.locator("#dead-letters .dead-letter").first).to_be_visible()
    screenshot(page, "source-tabs")


def test_the_editor_keeps_the_deploy_state_in_view_and_lists_its_shortcuts(
    login, source, owner_api
):
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{source['function']['id']}/")
    expect(page.locator("#deploy-state")).to_have_text("v1 deployed")
    draft = create_function(owner_api, "Undeployed", deploy=False)
    page.goto(f"/workspaces/acme/functions/{draft['id']}/")
    expect(page.locator("#deploy-state")).to_have_text("not deployed")
    page.locator("#function-name").click()  # not in a field: "?" is a shortcut
    page.keyboard.press("?")
    dialog = page.locator("#shortcuts-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Run all saved tests")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.locator("#code .view-lines").click()
    page.keyboard.type("?")  # typed into the code, it is a character
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
