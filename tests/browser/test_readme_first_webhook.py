"""The README's first webhook, as a newcomer sends it: its curl command (parsed from
README.md: method, headers, body) posted to a source of the Stripe template shows up on
the source's page as a succeeded execution and the `Charge Succeeded` event the README
promises, not a dead letter; the same body run in the editor gives that event too."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function
from tests.ingest.test_readme_first_webhook import readme_curl

pytestmark = pytest.mark.browser


def test_the_readmes_curl_becomes_the_promised_event_on_the_source_page(login, owner_api):
    function = create_function(owner_api, "README Stripe", template="stripe")
    source = owner_api.post("sources/", json={"name": "README demo", "function": function["id"]})
    assert source.status_code == 201, source.text
    curl = readme_curl()

    answer = httpx.request(
        curl["method"], source.json()["webhook_url"], headers=curl["headers"],
        content=curl["body"].encode(), timeout=30,
    )  # fmt: skip

    assert answer.status_code == 200, answer.text
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{source.json()['slug']}/")
    page_text = page.locator("main")
    expect(page_text).to_contain_text("Charge Succeeded", timeout=30_000)
    expect(page.locator("#executions")).to_contain_text("succeeded")
    expect(page.locator("#executions")).not_to_contain_text("RangeError")
    events = owner_api.get(f"sources/{source.json()['slug']}/events/").json()["results"]
    [event] = [e["message"] for e in events]
    assert (event["event"], event["userId"], event["properties"]["amount"]) == (
        "Charge Succeeded", "cus_1", 20,
    )  # fmt: skip

    # The same body typed into the editor's manual input.
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.select_option("#sample", label="Custom request (the function's test values)")
    page.locator("#body-editor .view-lines").click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(curl["body"])
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#result-events")).to_contain_text("Charge Succeeded", timeout=30_000)
    expect(page.locator("#result-error")).to_contain_text("The function returned")
    expect(page.locator("#tab-result-events .count")).to_have_text("1")
