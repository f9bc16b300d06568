"""Issue 14's friction, in Chromium, as a newcomer meets it: the source page's debugger
shows each execution's request and version, the events it emitted and their deliveries
(stored executions and live ones); the object store is searched by id with each object's
history; forms say what is wrong in words next to each field, all at once, and an error
goes once a save succeeds; the function sheet opens from the whole row, closes on a click
outside and leaves "New Function" in reach; Copy says it copied; addmember's invite link
opens on this server; a refusal is the product's page and one line in the log."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ROOT, USERS, screenshot
from tests.browser.test_destinations import Receiver
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

SHOP = """\
async function onRequest(request, settings) {
  const order = request.json();
  const total = order.total;
  Segment.track({ event: 'Order Placed', userId: order.customer, properties: { total } });
  Segment.set({ collection: 'customers', id: order.customer,
                properties: { last_total: total, plan: order.plan } });
}
"""
SECRETS = ("s3cret-bearer", "t0p-query-key")


def deployed_function(api: httpx.Client, name: str, *, code: str, settings=()) -> dict:
    created = api.post("functions/", json={"name": name, "code": code, "settings": list(settings)})
    assert created.status_code == 201, created.text
    function = created.json()
    done = api.post(f"functions/{function['id']}/deploy/", json={"message": "first"})
    assert done.status_code == 201, done.text
    return function


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture(scope="module")
def shop(owner_api, receiver):
    """A source sending only to a receiver of its own (the destination is deleted after
    the module: other modules' sources send to every enabled destination)."""
    function = deployed_function(owner_api, "Shop", code=SHOP)
    source = owner_api.post("sources/", json={"name": "Shop orders", "function": function["id"]})
    assert source.status_code == 201, source.text
    source = source.json()
    destination = owner_api.post(
        "destinations/",
        json={"name": "Shop receiver", "kind": "webhook", "config": {"url": receiver.url("/shop")}},
    )
    assert destination.status_code == 201, destination.text
    destination = destination.json()
    routed = owner_api.put(f"sources/{source['slug']}/destinations/",
                           json={"destinations": [destination["id"]]})  # fmt: skip
    assert routed.status_code == 200, routed.text
    yield source
    owner_api.delete(f"destinations/{destination['id']}/")


def order(source: dict, customer: str, total: int, plan: str = "free") -> None:
    sent = httpx.post(
        source["webhook_url"] + f"?shop=acme&token={SECRETS[1]}",
        json={"customer": customer, "total": total, "plan": plan},
        headers={"Authorization": f"Bearer {SECRETS[0]}", "User-Agent": "Shop/1.0"},
    )
    assert sent.status_code == 200, sent.text


def executions(owner_api, source) -> int:
    return owner_api.get(f"sources/{source['slug']}/logs/").json()["count"]


def test_the_debugger_shows_request_version_events_and_deliveries(login, shop, owner_api):
    order(shop, "cus_42", 20)  # stored before the page opens
    wait_until(lambda: executions(owner_api, shop) >= 1, 30, what="the first execution")
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{shop['slug']}/")
    page.get_by_role("tab", name="Live").click()
    row = page.locator("#executions tr.execution").first
    expect(row.locator(".request-cell")).to_contain_text("POST ?shop=acme&token=••••")
    expect(row.locator(".request-cell")).to_contain_text("JSON")
    expect(row.locator(".version-cell")).to_have_text("v1")
    expect(row.locator(".deliveries-cell")).to_contain_text("Shop receiver ✓", timeout=30_000)

    row.click()
    detail = page.locator("tr.execution-detail").first
    expect(detail.locator(".ran-version")).to_contain_text("Ran version 1 · attempt 1")
    expect(detail.locator(".request-headers")).to_contain_text("User-Agent: Shop/1.0")
    expect(detail.locator(".request-headers")).to_contain_text(
        "Authorization: •••• (hidden: the debugger never shows credentials)"
    )
    expect(detail.locator(".request-query")).to_contain_text("shop")
    expect(detail.locator(".request-body")).to_contain_text('"customer": "cus_42"')  # pretty
    expect(detail).to_contain_text("Events emitted (1)")
    expect(detail.locator(".emitted")).to_contain_text("Order Placed")
    expect(detail.locator(".deliveries-detail")).to_contain_text("Shop receiver ✓")
    screenshot(page, "source-debugger-request")

    order(shop, "cus_7", 5)  # while the page listens: the live row says it all too
    live_row = page.locator("#executions tr.execution").first
    expect(live_row.locator(".request-cell")).to_contain_text("POST ?shop=acme", timeout=30_000)
    expect(page.locator("#executions tr.execution")).to_have_count(2)
    expect(live_row.locator(".version-cell")).to_have_text("v1")

    page.get_by_role("tab", name="Events").click()
    expect(page.locator("#events li.event")).to_have_count(2, timeout=30_000)
    event = page.locator("#events li.event").first
    expect(event).to_contain_text("v1")
    expect(event.locator(".event-request")).to_contain_text("POST ?shop=acme")
    event.locator("summary").click()
    event.get_by_role("button", name="Show the execution").click()
    expect(event.locator(".event-execution .request-body")).to_contain_text('"total": ')
    for secret in SECRETS:
        assert secret not in page.content()


def test_the_object_store_is_searched_by_id_with_each_objects_history(login, shop, owner_api):
    before = executions(owner_api, shop)
    order(shop, "cus_100", 1)
    order(shop, "cus_100", 2, plan="pro")
    order(shop, "cus_200", 3)
    wait_until(lambda: executions(owner_api, shop) >= before + 3, 30, what="their executions")
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{shop['slug']}/")
    page.get_by_role("tab", name="Objects").click()
    objects = page.locator("#source-objects")
    expect(objects.locator("tr.object").first).to_be_visible()
    page.fill("#object-id", "cus_10")
    objects.get_by_role("button", name="Search").click()
    expect(objects.locator("tr.object")).to_have_count(1)
    expect(page.locator("#objects-summary")).to_have_text("1 object matches.")
    found = objects.locator("tr.object").first
    expect(found.locator(".object-id")).to_have_text("cus_100")
    expect(found).to_contain_text('"plan":"pro"')
    found.click()
    history = objects.locator(".object-history li")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text('{"last_total":2,"plan":"pro"}')
    expect(history.last).to_contain_text('{"last_total":1,"plan":"free"}')
    expect(history.first).to_contain_text("by Shop orders")
    screenshot(page, "source-objects")

    page.fill("#object-id", "nobody")
    objects.get_by_role("button", name="Search").click()
    expect(page.locator("#objects-summary")).to_have_text("No object of this source matches.")


def test_the_connect_form_says_every_problem_at_once_in_words(login, owner_api):
    required = [
        {"name": "apiKey", "label": "API key", "type": "string", "required": True,
         "encrypted": True},
        {"name": "region", "label": "Region", "type": "string", "required": True},
    ]  # fmt: skip
    function = deployed_function(owner_api, "Two settings", code=SHOP, settings=required)
    page = login("owner", refusals=True)
    page.goto(f"/workspaces/acme/sources/new/?function={function['id']}")
    page.get_by_role("button", name="Connect", exact=True).click()
    form = page.locator("#connect-form")
    expect(form.locator('[data-error="name"]')).to_have_text("A source needs a name.")
    expect(form.locator('[data-error="settings.apiKey"]')).to_have_text(
        "API key is required by this version; set a value."
    )
    expect(form.locator('[data-error="settings.region"]')).to_have_text(
        "Region is required by this version; set a value."
    )
    expect(form.locator('[data-error="form"]')).to_have_text("Correct the 3 fields marked above.")
    expect(page.locator("#source-name")).to_be_focused()
    expect(page.locator("#source-name")).to_have_attribute("aria-invalid", "true")
    for api_words in ("Please correct", "settings.", "See 'errors'"):
        expect(form).not_to_contain_text(api_words)
    screenshot(page, "connect-errors")

    page.fill("#source-name", "Two settings in")
    page.fill("#setting-apiKey", "k-123")
    page.fill("#setting-region", "eu")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sources/two-settings-in/$"))

    # The source's settings: a refusal next to the field, gone once a save succeeds.
    page.get_by_role("tab", name="Settings").click()
    settings = page.locator("#source-settings-form")
    expect(page.locator("#setting-region")).to_have_value("eu")
    page.fill("#setting-region", "")
    settings.get_by_role("button", name="Save settings").click()
    expect(settings.locator('[data-error="settings.region"]')).to_contain_text("Region is required")
    expect(settings.locator('[data-error="form"]')).to_have_text("Correct the field marked above.")
    page.fill("#setting-region", "us")
    settings.get_by_role("button", name="Save settings").click()
    expect(page.locator("#toasts")).to_contain_text("Settings saved.")
    expect(settings.locator('[data-error="form"]')).to_be_empty()
    expect(settings.locator('[data-error="settings.region"]')).to_have_count(1)
    expect(settings.locator('[data-error="settings.region"]')).to_be_empty()


def test_the_function_sheet_opens_from_the_row_and_leaves_new_function_in_reach(
    login, owner_api, shop
):
    deployed_function(owner_api, "Second shop", code=SHOP)
    page = login("owner")
    page.goto("/workspaces/acme/functions/")
    sheet = page.locator("#function-sheet")
    shop_row = page.locator("#function-list tr").filter(
        has=page.get_by_role("button", name="Shop", exact=True)
    )
    shop_row.locator("td").nth(2).click()  # not the name: anywhere on the row
    expect(sheet).to_be_visible()
    expect(sheet.locator("#sheet-title")).to_have_text("Shop")

    new_function = page.get_by_role("button", name="New Function")
    box, covering = new_function.bounding_box(), sheet.bounding_box()
    assert box["x"] + box["width"] <= covering["x"], (box, covering)  # not under the sheet
    screenshot(page, "catalog-sheet-open")

    second = page.get_by_role("button", name="Second shop", exact=True)
    page.locator("#function-list tr").filter(has=second).locator("td").nth(1).click()
    expect(sheet.locator("#sheet-title")).to_have_text("Second shop")
    page.locator(".page-head h1").click()  # a click outside closes it
    expect(sheet).to_be_hidden()

    shop_row.click()
    expect(sheet).to_be_visible()
    new_function.click()  # closes the sheet, and does what it says
    expect(page.locator("#new-function-dialog")).to_be_visible()
    expect(sheet).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.locator("#new-function-dialog")).to_be_hidden()

    shop_row.locator("button.open-sheet").focus()
    page.keyboard.press("Enter")
    expect(sheet).to_be_visible()
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(shop_row.locator("button.open-sheet")).to_be_focused()


def test_copy_says_it_copied(login, shop):
    page = login("owner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/workspaces/acme/sources/{shop['slug']}/")
    copy = page.locator("#webhook-url + button.copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == shop["webhook_url"]
    expect(copy).to_have_text("Copy", timeout=5_000)


def test_addmembers_invite_link_opens_on_this_server(server, chromium):
    data = Path(server["log"]).parent
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL",
                                                            "PUBLIC_URL")}  # fmt: skip
    env.update(DJANGO_SETTINGS_MODULE="functions_ide.settings", DATA_DIR=str(data),
               SQLITE_PATH=str(data / "db.sqlite3"))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "manage.py", "addmember", "acme", "newcomer@acme.example", "--role",
         "member"], cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    link = re.search(r"^invite: (\S+)$", done.stdout, re.M).group(1)
    assert link.startswith(server["url"] + "/invite/"), (link, server["url"])
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(link)
        expect(page.get_by_role("heading", name="Join Acme")).to_be_visible()
        expect(page.locator("main")).to_contain_text("newcomer@acme.example")
    finally:
        context.close()


def test_a_refusal_is_the_products_page_and_one_log_line(server, chromium):
    context = chromium.new_context(base_url=server["url"])
    try:
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", USERS["member"])
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/workspaces/")
        answer = page.goto("/workspaces/acme/functions/new/")
        assert answer.status == 403
        refused = page.locator("#refused")
        expect(refused).to_contain_text("Only workspace owners may change functions.")
        refused.get_by_role("link", name="All your workspaces").click()
        expect(page).to_have_url(re.compile(r"/workspaces/$"))
    finally:
        context.close()
    assert "Traceback" not in Path(server["log"]).read_text()


def test_a_destinations_last_error_goes_after_a_later_delivery(login, shop, receiver):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{shop['slug']}/")
    newest = page.locator("#executions tr.execution").first.locator(".deliveries-cell")
    receiving = page.locator("#receiving")
    receiver.refusing.add("/shop")
    try:
        order(shop, "cus_refused", 9)
        expect(newest).to_contain_text("Shop receiver failed", timeout=30_000)
    finally:
        receiver.refusing.discard("/shop")
    expect(receiving).to_contain_text("HTTP 400", timeout=10_000)  # the last error
    order(shop, "cus_taken", 10)
    expect(newest).to_contain_text("Shop receiver ✓", timeout=30_000)
    expect(receiving).not_to_contain_text("HTTP 400", timeout=10_000)
    expect(receiving).to_contain_text("1 failed")  # still counted, no longer the last word
