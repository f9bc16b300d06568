"""Destinations in the browser: an owner creates a signed webhook destination against a
local receiver (its secret shown once), sends a test, meets a refusal next to the field
with what they typed kept, chooses where a source sends and watches the live debugger
mark the delivery; a member sees it all read-only."""

import hashlib
import hmac
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

PAGE = "/workspaces/acme/destinations/"


class Receiver:
    """A webhook receiver on a free port that records what arrives and answers 200 (or
    400 on the paths it is refusing)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.refusing: set[str] = set()  # paths answered with a 400
        received, refusing = self.requests, self.refusing

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                refused = self.path in refusing
                answer = b'{"error": "not today"}' if refused else b'{"received": true}'
                self.send_response(400 if refused else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # quiet test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def signed_with(secret: str, request: dict) -> bool:
    """The receiver's side of X-Signature (t=<unix>,v1=<hex HMAC-SHA256 of "t.body">)."""
    parts = dict(item.split("=", 1) for item in request["headers"]["X-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def webhook(owner_api, receiver, name: str, path: str) -> dict:
    created = owner_api.post(
        "destinations/",
        json={"name": name, "kind": "webhook", "config": {"url": receiver.url(path)}},
    )
    assert created.status_code == 201, created.text
    return created.json()


def row_of(page, name: str):
    return page.locator("tbody.destination").filter(has=page.get_by_role("rowheader", name=name))


def test_owner_creates_a_webhook_destination_sees_its_secret_once_and_sends_a_test(login, receiver):
    page = login("owner")
    page.goto("/workspaces/acme/functions/")
    page.get_by_role("link", name="Destinations").click()
    expect(page).to_have_url(re.compile(f"{PAGE}$"))
    page.select_option("#create-kind", "webhook")
    page.fill("#create-name", "Receiver")
    page.fill("#create-webhook-url", receiver.url("/first"))
    page.get_by_role("button", name="Create destination").click()

    once = page.locator("#secret-once")
    expect(once).to_be_visible()
    expect(once).to_contain_text("shown only once")
    secret = page.input_value("#new-secret")
    assert secret.startswith("whsec_")
    # The check before saving sent a signed ping the receiver can verify with it.
    assert signed_with(secret, receiver.to("/first")[-1])
    row = row_of(page, "Receiver")
    expect(row).to_contain_text("Signed webhook")
    expect(row).to_contain_text("0 delivered")
    screenshot(page, "destinations-created")

    row.get_by_role("button", name="Send test").click()
    answer = row.locator(".test-result")
    expect(answer.locator('[data-answer="ok"]')).to_have_text("taken")
    expect(answer).to_contain_text("HTTP 200")
    # Taken: the product's summary of what it sent, not passed off as the answer.
    expect(answer).to_contain_text("1 event and 0 objects in one request.")
    expect(answer).not_to_contain_text("What the destination answered")
    test_event = json.loads(receiver.to("/first")[-1]["body"])["events"][0]
    assert test_event["event"] == "Send Test"

    # Shown once: not on the page again, and never in what the API answers.
    page.reload()
    expect(row_of(page, "Receiver")).to_be_visible()
    expect(page.locator("#secret-once")).to_be_hidden()
    assert secret not in page.content()


def test_a_bad_url_is_refused_next_to_its_field_and_nothing_typed_is_lost(login):
    page = login("owner", refusals=True)
    page.goto(PAGE)
    page.select_option("#create-kind", "webhook")
    page.fill("#create-name", "Broken")
    page.fill("#create-webhook-url", "not a url")
    page.fill("#create-webhook-secret", "a-secret-of-my-own-1234")
    page.select_option("#create-messages", "events")
    page.get_by_role("button", name="Create destination").click()

    fieldset = page.locator('fieldset[data-kind="webhook"]')
    error = fieldset.locator('[data-error="config.url"]')
    expect(error).to_contain_text("is not an http:// or https:// URL")
    expect(page.locator("#create-name")).to_have_value("Broken")
    expect(page.locator("#create-webhook-url")).to_have_value("not a url")
    expect(page.locator("#create-webhook-secret")).to_have_value("a-secret-of-my-own-1234")
    expect(page.locator("#create-messages")).to_have_value("events")
    expect(row_of(page, "Broken")).to_have_count(0)
    screenshot(page, "destinations-field-error")


def test_a_missing_url_is_said_in_the_form_shown(login):
    page = login("owner", refusals=True)
    page.goto(PAGE)
    page.select_option("#create-kind", "webhook")
    page.fill("#create-name", "No URL yet")
    page.get_by_role("button", name="Create destination").click()
    # In the webhook fieldset, not the hidden one of the kind shown first.
    shown = page.locator('fieldset[data-kind="webhook"] [data-error="config"]')
    expect(shown).to_have_text("Required: url.")
    expect(shown).to_be_visible()
    expect(page.locator("#create-name")).to_have_value("No URL yet")


def test_a_long_name_wraps_instead_of_widening_the_page(login, owner_api, receiver):
    name = "N" * 100  # the longest a name may be, without a space to break at
    long = webhook(owner_api, receiver, name, "/long")
    page = login("owner")
    page.goto(PAGE)
    expect(row_of(page, name)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The routing test after this one counts the workspace's destinations.
    assert owner_api.delete(f"destinations/{long['id']}/").status_code == 204


def test_the_source_chooses_where_it_sends_and_the_debugger_marks_the_delivery(
    login, owner_api, receiver
):
    function = create_function(owner_api, "Router", template="default")
    source = owner_api.post("sources/", json={"name": "Routed", "function": function["id"]})
    assert source.status_code == 201, source.text
    slug = source.json()["slug"]
    chosen = webhook(owner_api, receiver, "Picked hook", "/picked")
    webhook(owner_api, receiver, "Skipped hook", "/skipped")

    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{slug}/")
    section = page.locator("#source-destinations")
    expect(page.locator("#routing-line")).to_contain_text("every enabled destination")
    expect(section.locator("#receiving")).to_contain_text("Skipped hook")
    page.get_by_label("Only the destinations ticked here").check()
    section.get_by_label("Skipped hook").uncheck()
    section.get_by_label("Receiver").uncheck()
    expect(section.get_by_label("Picked hook")).to_be_checked()
    section.get_by_role("button", name="Save where it sends").click()
    expect(page.locator("#routing-line")).to_contain_text("only to the destinations chosen")
    expect(section.locator("#receiving tbody tr")).to_have_count(1)
    expect(section.locator("#receiving")).to_contain_text("Picked hook")
    routing = owner_api.get(f"sources/{slug}/destinations/").json()
    assert routing["destinations"] == [chosen["id"]]

    expect(page.locator("#live-state")).to_contain_text("Live")
    message = {"type": "track", "event": "Order Completed", "userId": "u1"}
    assert httpx.post(page.input_value("#webhook-url"), json=message).status_code < 300
    badge = page.locator("#executions .deliveries-cell .badge", has_text="Picked hook")
    expect(badge).to_have_text("Picked hook ✓", timeout=30_000)
    expect(badge).to_have_attribute("data-status", "delivered")
    delivered = json.loads(receiver.to("/picked")[-1]["body"])
    assert delivered["events"][0]["event"] == "Order Completed"
    assert not [r for r in receiver.to("/skipped") if b"Order Completed" in r["body"]]
    # The counts of the last 24 h follow the deliveries, and stay after a reload.
    expect(section.locator("#receiving")).to_contain_text("1 delivered")
    screenshot(page, "source-destinations")
    page.reload()
    expect(section.locator("#receiving")).to_contain_text("1 delivered")


def test_owner_replays_a_dead_letter_edits_disables_and_deletes(login, owner_api, receiver):
    function = create_function(owner_api, "Refused", template="default")
    source = owner_api.post("sources/", json={"name": "Refused", "function": function["id"]})
    slug, hook_url = source.json()["slug"], source.json()["webhook_url"]
    hook = webhook(owner_api, receiver, "Flaky hook", "/flaky")
    secret = hook["generated"]["secret"]
    owner_api.put(f"sources/{slug}/destinations/", json={"destinations": [hook["id"]]})
    receiver.refusing.add("/flaky")  # a 400: refused for good, a dead letter at once
    message = {"type": "track", "event": "Refund Issued", "userId": "u2"}
    assert httpx.post(hook_url, json=message).status_code < 300
    wait_until(lambda: owner_api.get(f"destinations/{hook['id']}/dead-letters/").json()["count"],
               timeout=30, what="the delivery dead letter")  # fmt: skip

    page = login("owner")
    page.goto(PAGE)
    row = row_of(page, "Flaky hook")
    expect(row).to_contain_text("1 failed")
    row.get_by_text("Delivery dead letters").click()
    letter = row.locator(".dead-letter")
    expect(letter).to_contain_text("HTTP 400")
    expect(letter).to_contain_text(f"source {slug} · 1 attempt")  # nothing delivered
    # Refused: the destination's own answer, under its label.
    row.get_by_role("button", name="Send test").click()
    answer = row.locator(".test-result")
    expect(answer.locator('[data-answer="refused"]')).to_have_text("not taken")
    expect(answer).to_contain_text("What the destination answered (first 1 KB):")
    expect(answer.locator(".answer-detail")).to_contain_text("not today")
    receiver.refusing.discard("/flaky")
    letter.get_by_role("button", name="Replay").click()
    wait_until(lambda: [r for r in receiver.to("/flaky") if b"Refund Issued" in r["body"]],
               timeout=30, what="the replayed delivery")  # fmt: skip

    # An empty credential field keeps the stored secret: the check of the change is
    # signed with the one generated at creation.
    row.get_by_role("button", name="Edit").click()
    form = row.locator(".edit-form")
    expect(form.locator('[data-credential="secret"]')).to_have_text("set")
    form.get_by_label("Name").fill("Steady hook")
    pings = len(receiver.to("/flaky"))
    form.get_by_role("button", name="Save").click()
    row = row_of(page, "Steady hook")
    expect(row).to_be_visible()
    assert len(receiver.to("/flaky")) > pings
    assert signed_with(secret, receiver.to("/flaky")[-1])

    row.get_by_role("button", name="Disable").click()
    expect(row.locator("[data-state]")).to_have_text("disabled")
    expect(row.get_by_role("button", name="Enable")).to_be_visible()
    assert owner_api.get(f"destinations/{hook['id']}/").json()["enabled"] is False

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row_of(page, "Steady hook")).to_have_count(0)
    assert owner_api.get(f"destinations/{hook['id']}/").status_code == 404


def test_a_member_sees_destinations_read_only(login, owner_api, receiver):
    function = create_function(owner_api, "Watched", template="default")
    source = owner_api.post("sources/", json={"name": "Watched", "function": function["id"]})
    webhook(owner_api, receiver, "Watched hook", "/watched")

    page = login("member", width=1024, height=768)
    page.goto(PAGE)
    row = row_of(page, "Watched hook")
    expect(row).to_contain_text("Signed webhook")
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#create-form")).to_have_count(0)
    expect(page.locator("#destinations").get_by_role("button")).to_have_count(0)
    row.get_by_text("Delivery dead letters").click()
    expect(row).to_contain_text("None: nothing was refused for good.")
    expect(row.get_by_role("button")).to_have_count(0)
    screenshot(page, "destinations-member")

    page.goto(f"/workspaces/acme/sources/{source.json()['slug']}/")
    expect(page.locator("#receiving")).to_contain_text("Watched hook")
    expect(page.locator("#routing-form")).to_have_count(0)
