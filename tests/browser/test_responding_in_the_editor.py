"""The answer to the sender in the editor: a template's methods and answer come with it
into Configure, the result pane shows the response the sender would get, and Configure
changes them on a function that exists."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_the_handshake_sample_shows_the_response_the_sender_gets(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="whatsapp"]').click()
    page.select_option("#sample", label="GET verification (handshake)")
    expect(page.locator("#method")).to_have_value("GET")
    page.get_by_role("button", name="▶ Run").click()
    answer = page.locator("#result-response")
    expect(answer).to_contain_text("1158201444", timeout=30_000)
    expect(answer.locator(".response-status")).to_have_text("200")
    expect(answer).to_contain_text("content-type: text/plain")
    screenshot(page, "editor-response-to-the-sender")

    page.select_option("#sample", label="GET verification with a wrong token")
    page.get_by_role("button", name="▶ Run").click()
    expect(answer.locator(".response-status")).to_have_text("403", timeout=30_000)

    page.get_by_role("button", name="Configure").click()
    expect(page.locator('#fn-methods input[value="GET"]')).to_be_checked()
    expect(page.locator("#fn-responds")).to_be_checked()
    page.fill("#fn-name", "WhatsApp support")
    page.get_by_role("button", name="Create Function").click()
    expect(page.locator("#function-name")).to_have_text("WhatsApp support")


def test_configure_turns_on_get_and_the_answer_to_the_sender(login, owner_api):
    code = "async function onRequest(request, settings) {\n  console.log(request.method);\n}\n"
    function = owner_api.post("functions/", json={"name": "Answers later", "code": code}).json()
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.get_by_role("button", name="Configure").click()
    expect(page.locator("#fn-responds")).not_to_be_checked()
    # These tests' default first wait (0.2 s) is below the 1 s a function may choose: the
    # field shows it as its placeholder, so that the form saves and leaves it as it is.
    expect(page.locator("#fn-first-delay")).to_have_attribute("placeholder", "0.2 (the default)")
    page.locator('#fn-methods input[value="GET"]').check()
    page.locator("#fn-responds").check()
    page.get_by_role("button", name="Save configuration").click()
    expect(page.locator("#configure-dialog")).to_be_hidden()
    saved = owner_api.get(f"functions/{function['id']}/").json()
    assert (saved["methods"], saved["responds"]) == (["POST", "GET"], True)
    assert saved["retry_policy"]["first_delay_s"] == 0.2

    # The code returns nothing: the sender would get the usual answer.
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#result-response")).to_contain_text(
        "the function returned nothing", timeout=30_000
    )
