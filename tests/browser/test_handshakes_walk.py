"""A newcomer connecting senders that check the URL first: what the editor, the source
page and the catcher show of the answer to the sender (found walking issue 17)."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

NOT_A_RESPONSE = "async function onRequest(request) {\n  return 42;\n}\n"


def responding_source(api: httpx.Client, name: str, *, template="default", code=None, **values):
    function = api.post(
        "functions/",
        json={"name": name, "template": template, **({"code": code} if code else {}),
              "responds": True, "methods": ["POST", "GET"]},
    )  # fmt: skip
    assert function.status_code == 201, function.text
    function = function.json()
    deployed = api.post(f"functions/{function['id']}/deploy/", json={"message": "first"})
    assert deployed.status_code == 201, deployed.text
    source = {"name": name, "function": function["id"], "settings": values}
    source = api.post("sources/", json=source)
    assert source.status_code == 201, source.text
    return function, source.json()


def test_a_response_without_headers_or_body_reads_as_the_sender_gets_it(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="microsoft-graph"]').click()
    page.select_option("#sample", label="message created")
    page.get_by_role("button", name="▶ Run").click()
    answer = page.locator("#result-response")
    expect(answer.locator(".response-line")).to_have_text("202 Accepted", timeout=30_000)
    expect(answer).to_contain_text("the sender gets Content-Type: text/plain; charset=utf-8")
    expect(answer).to_contain_text("(empty body)")
    expect(answer).not_to_contain_text("null")
    screenshot(page, "walk-graph-202")


def test_a_value_that_is_not_a_response_is_named_where_the_answer_is(login, owner_api):
    function = owner_api.post(
        "functions/", json={"name": "Returns a number", "code": NOT_A_RESPONSE, "responds": True}
    ).json()
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.get_by_role("button", name="▶ Run").click()
    answer = page.locator("#result-response")
    expect(answer).to_contain_text("is not a response", timeout=30_000)
    expect(answer.locator(".response-warning")).to_contain_text("onRequest returned a number (42)")
    expect(answer).not_to_contain_text("returned nothing")


def test_the_source_page_says_how_it_answers_and_shows_what_the_sender_got(login, owner_api):
    _, source = responding_source(
        owner_api, "WhatsApp walk", template="whatsapp", verifyToken="walk-token"
    )
    _, warned = responding_source(owner_api, "Returns a number walk", code=NOT_A_RESPONSE)
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    expect(page.locator("#webhook-answers")).to_have_text(
        "Accepts POST and GET. Responds to the sender: the sender waits while v1 runs and "
        "gets what it returns."
    )
    expect(page.locator("#live-state")).to_contain_text("Live")
    query = "hub.mode=subscribe&hub.challenge=4417&hub.verify_token=walk-token"
    answered = httpx.get(f"{source['webhook_url']}?{query}", timeout=30)
    assert (answered.status_code, answered.text) == (200, "4417")
    page.get_by_role("tab", name="Live").click()
    row = page.locator("#executions tr.execution").first
    expect(row).to_contain_text("succeeded", timeout=30_000)
    row.click()
    detail = page.locator("#executions tr.execution-detail")
    expect(detail).to_contain_text("Response to the sender")
    expect(detail.locator(".response-line")).to_have_text("200 OK")
    expect(detail.locator("pre.response-body")).to_have_text("4417")
    screenshot(page, "walk-source-response")

    page.goto(f"/workspaces/acme/sources/{warned['slug']}/")
    expect(page.locator("#live-state")).to_contain_text("Live")
    assert httpx.post(warned["webhook_url"], json={}, timeout=30).status_code == 200
    page.get_by_role("tab", name="Live").click()
    # The live row says so before it is opened; reloaded, the logs API's row too.
    row = page.locator("#executions tr.execution").first
    expect(row).to_contain_text("1 warning", timeout=30_000)
    page.reload()
    expect(page.locator("#executions tr.execution").first).to_contain_text("1 warning")


def test_the_catcher_shows_the_query_of_a_get(login, owner_api):
    function = create_function(owner_api, "Catches a GET", deploy=False)
    url = owner_api.get(f"functions/{function['id']}/catcher/").json()["url"]
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.get_by_role("tab", name="Webhook catcher").click()
    expect(page.locator("#catcher-state")).to_have_text("Listening for requests at the test URL")
    assert httpx.get(f"{url}?hub.mode=subscribe&hub.challenge=31", timeout=30).status_code == 200
    capture = page.locator("#captures li.capture").first
    expect(capture.locator(".capture-query")).to_have_text("?hub.mode=subscribe&hub.challenge=31")


def test_a_cancelled_configure_does_not_change_what_run_says_the_sender_gets(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="slack"]').click()
    page.get_by_role("button", name="Configure").click()
    page.fill("#fn-name", "Slack, cancelled change")
    page.get_by_role("button", name="Create Function").click()
    expect(page.locator("#function-name")).to_have_text("Slack, cancelled change")
    page.get_by_role("button", name="Configure").click()
    page.locator("#fn-responds").uncheck()
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="▶ Run").click()
    answer = page.locator("#result-response")
    expect(answer.locator(".response-line")).to_have_text("200 OK", timeout=30_000)
    expect(answer).not_to_contain_text("does not respond to the sender")
