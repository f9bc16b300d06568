"""A newcomer's walk of the product in Chromium, and the small faults it found: counts
said in words ("1 error", "2 errors"), …"""

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

GOOD = '{"type": "track", "event": "Signed Up", "userId": "u1"}'
NO_NAME = '{"type": "track", "userId": "u1"}'  # the default template refuses it: a dead letter


@pytest.fixture(scope="module")
def walked(owner_api):
    """A source with one good execution and one dead letter (InvalidEventPayload, not retried)."""
    function = create_function(owner_api, "Walked")
    created = owner_api.post("sources/", json={"name": "Walked", "function": function["id"]})
    assert created.status_code == 201, created.text
    source = {"function": function, **created.json()}
    for body in (GOOD, NO_NAME):
        assert httpx.post(source["webhook_url"], content=body).status_code == 200
    dead_letters = f"sources/{source['slug']}/dead-letters/"
    wait_until(lambda: owner_api.get(dead_letters).json()["count"] == 1, 30, what="the dead letter")
    wait_until(lambda: owner_api.get(f"sources/{source['slug']}/logs/").json()["count"] == 2, 30,
               what="both executions")  # fmt: skip
    return source


def test_counts_are_said_in_words(login, walked):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{walked['slug']}/")
    expect(page.locator("#chart-summary")).to_have_text("2 executions, 1 error")
    page.get_by_role("tab", name="Dead letters").click()
    letter = page.locator("#dead-letters .dead-letter summary")
    expect(letter).to_contain_text(" · 1 attempt · InvalidEventPayload")
    page.locator("#dead-letters").get_by_role("button", name="Replay").click()
    expect(page.locator("#toasts")).to_contain_text("Replaying 1 dead letter.")

    page.goto("/workspaces/acme/functions/")
    page.get_by_role("button", name="Walked").click()
    page.locator("#function-sheet").get_by_role("button", name="Delete function…").click()
    dialog = page.locator("#delete-dialog")
    expect(dialog.locator(".delete-text")).to_have_text(
        "“Walked” and this source will be deleted; its webhook URL stops working:"
    )
    dialog.get_by_role("button", name="Cancel").click()
