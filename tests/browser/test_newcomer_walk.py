"""A newcomer's walk of the product in Chromium, and the small faults it found: counts
said in words, the debugger's body types in words and its Headers and Body, the legacy
hint naming where to switch, 403 and 404 pages that keep a member's workspace (and tell
an outsider nothing), the source tabs following #hash and Back, the restore dialog's
words, times in the reader's time zone, a sample without test settings, a legacy
function returning one message, the editor at 1024 px; and the timed first path: a fresh
workspace's first-run guide to a Stripe webhook's events in under a minute."""

import os
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, create_function, screenshot
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

NEWCOMER = "newcomer@fresh.example"
ANY_BODY = """\
async function onRequest(request) {
  const type = request.headers.get('Content-Type');
  Segment.track({ event: 'Received', userId: 'u1', properties: { type } });
}
"""
LEGACY = """exports.processEvents = async (event) => {
  return { events: [{ type: 'track', event: 'Legacy Event', userId: 'u1' }] };
};
"""
GOOD = '{"type": "track", "event": "Signed Up", "userId": "u1"}'
# Sent oldest first: the debugger lists the newest first.
BODIES = [
    ("text/plain; charset=utf-8", "hello"),
    ("text/xml", "<charge id='ch_1'/>"),
    ("application/x-www-form-urlencoded", "customer=cus_1&amount=20"),
    ("application/json", '{"type": "charge.succeeded"}'),
]
NO_NAME = '{"type": "track", "userId": "u1"}'  # the default template refuses it: a dead letter


@pytest.fixture(scope="module")
def newcomer(server) -> str:
    """The owner of a workspace of their own, made as an operator would: an outsider to Acme."""
    server["manage"]("createworkspace", "fresh", "--owner", NEWCOMER, "--password", PASSWORD,
                     "--name", "Fresh start")  # fmt: skip
    return NEWCOMER


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


@pytest.fixture(scope="module")
def received(owner_api):
    """A source that takes any body, sent one of each kind."""
    function = create_function(owner_api, "Received", code=ANY_BODY)
    source = owner_api.post("sources/", json={"name": "Received", "function": function["id"]})
    assert source.status_code == 201, source.text
    source = source.json()
    for content_type, body in BODIES:
        sent = httpx.post(
            source["webhook_url"], content=body, headers={"Content-Type": content_type}
        )
        assert sent.status_code == 200, sent.text
    logs = f"sources/{source['slug']}/logs/"
    wait_until(
        lambda: owner_api.get(logs).json()["count"] == len(BODIES), 30, what="the executions"
    )
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


def test_the_debugger_names_the_content_type_and_labels_headers_and_body(login, received):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{received['slug']}/")
    page.get_by_role("tab", name="Live").click()
    cells = page.locator("#executions tr.execution .request-cell")
    expect(cells).to_have_text(["POST · 28 B JSON", "POST · 24 B form", "POST · 19 B XML",
                                "POST · 5 B text"])  # fmt: skip
    page.locator("#executions tr.execution").first.click()
    detail = page.locator("tr.execution-detail .request-detail")
    expect(detail.locator(".detail-label")).to_have_text(["Headers", "Body"])
    expect(detail.locator(".request-body")).to_contain_text('"type": "charge.succeeded"')

    page.get_by_role("tab", name="Events").click()
    first = page.locator("#events li.event summary").first
    expect(first).to_contain_text(re.compile(r"POST · 28 B JSON · \w{3} \d+, \d\d:\d\d:\d\d"))


def test_the_legacy_hint_says_where_to_switch_and_its_button_wraps(login, owner_api):
    function = create_function(owner_api, "Legacy walk", code=LEGACY, deploy=False)
    page = login("owner", width=1024, height=768)
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    page.get_by_role("button", name="▶ Run").click()
    hint = page.get_by_test_id("error-hint")
    expect(hint).to_contain_text(
        "choose Legacy as the Interface in Configure (with the CLI, add --legacy)"
    )
    expect(hint).not_to_contain_text("legacy flag")
    button = page.get_by_role("button", name="Switch this function to the legacy interface")
    # Seen without scrolling inside the error's box, however long the hint under it.
    pane, box = page.locator("#result-error").bounding_box(), button.bounding_box()
    assert box["y"] + box["height"] <= pane["y"] + pane["height"], (box, pane)
    page.locator("#split-handle").press("Home")  # the code and result column at its narrowest
    button.scroll_into_view_if_needed()
    pane = page.locator("#result-error").bounding_box()
    box = button.bounding_box()
    inside = box["x"] >= pane["x"] and box["x"] + box["width"] <= pane["x"] + pane["width"]
    assert inside, (box, pane)
    assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), "the label overflows its button"
    screenshot(page, "walk-legacy-1024")


def test_403_and_404_keep_the_workspace_for_its_members(login):
    page = login("member", statuses=(403, 404))
    nav = page.get_by_role("navigation", name="Workspace")
    assert page.goto("/workspaces/acme/functions/new/").status == 403
    expect(page.locator("#refused")).to_contain_text("Only workspace owners may change functions.")
    expect(nav.get_by_role("link", name="Sources")).to_be_visible()
    expect(page.get_by_test_id("role")).to_have_text("Member")
    for address in ("/workspaces/acme/functions/999999/", "/workspaces/acme/nowhere/"):
        assert page.goto(address).status == 404
        expect(page.locator("#not-found")).to_contain_text(
            "There is nothing at this address in acme"
        )
        expect(nav.get_by_role("link", name="Functions")).to_be_visible()
        expect(page.get_by_test_id("role")).to_have_text("Member")
    page.get_by_role("link", name="Back to the functions of acme").click()
    expect(page).to_have_url(re.compile(r"/workspaces/acme/functions/$"))


def test_a_404_tells_an_outsider_nothing_of_the_workspace(login, newcomer):
    page = login(newcomer, statuses=(404,))
    for address in ("/workspaces/acme/functions/", "/workspaces/acme/sources/nope/"):
        assert page.goto(address).status == 404
        expect(page.locator("#not-found")).to_contain_text("There is nothing at this address")
        expect(page.get_by_role("navigation", name="Workspace")).to_have_count(0)
        expect(page.get_by_test_id("role")).to_have_count(0)
        assert "acme" not in page.content().lower()
    page.get_by_role("link", name="Back to your workspaces").click()
    expect(page).to_have_url(re.compile(r"/workspaces/$"))


def test_the_source_tabs_follow_the_hash_and_back(login, walked):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{walked['slug']}/#events")
    tab = page.get_by_role("tablist", name="Source").get_by_role
    expect(tab("tab", name="Events")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-events")).to_be_visible()
    expect(page.locator("#panel-overview")).to_be_hidden()
    tab("tab", name="Live").click()
    expect(page).to_have_url(re.compile(r"#live$"))
    tab("tab", name="Dead letters").click()
    expect(page.locator("#panel-dead-letters")).to_be_visible()
    page.go_back()
    expect(tab("tab", name="Live")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-live")).to_be_visible()
    page.go_back()
    expect(tab("tab", name="Events")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-events")).to_be_visible()
    page.go_forward()
    expect(page.locator("#panel-live")).to_be_visible()
    # A link to a tab from the page itself (as one shared in a message would be).
    page.evaluate("location.hash = 'objects'")
    expect(tab("tab", name="Objects")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-objects")).to_be_visible()


def test_restore_says_plainly_what_becomes_of_a_draft_no_version_has(login, owner_api):
    function = create_function(owner_api, "Restore walk")
    changed = owner_api.patch(f"functions/{function['id']}/", json={"code": ANY_BODY})
    assert changed.status_code == 200, changed.text
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    page.get_by_role("tab", name="Versions").click()
    page.locator('[data-version="1"]').get_by_role("button", name="Restore into draft").click()
    expect(page.locator("#restore-text")).to_have_text(
        "v1 takes the place of the saved draft, whose changes were never deployed, and is saved "
        "as the draft. Those changes are in no version: once replaced, they are gone for good."
    )
    page.get_by_role("button", name="Keep my draft").click()
    expect(page.locator("#code")).to_contain_text("Received")


def in_auckland(iso: str) -> str:
    """A time as formatTime says it to a reader in Auckland (en-US): "Dec 4, 09:42:18 PM"."""
    zone = ZoneInfo("Pacific/Auckland")
    when = datetime.fromisoformat(iso).astimezone(zone)
    year = "" if when.year == datetime.now(zone).year else f", {when.year}"
    return f"{when:%b} {when.day}{year}, {when:%I:%M:%S %p}"


def test_catalog_and_settings_times_are_in_the_readers_time_zone(login, walked):
    page = login("owner", timezone="Pacific/Auckland")
    for address, at_least in (
        ("/workspaces/acme/functions/", 1),
        ("/workspaces/acme/settings/", 2),
    ):
        page.goto(address)
        times = page.locator("main time[datetime]")
        expect(times.first).to_be_visible()
        assert times.count() >= at_least
        for shown in times.all():
            expect(shown).to_have_text(in_auckland(shown.get_attribute("datetime")))
    # An invitation added on the page says when it expires in the same words.
    page.fill("#member-email", "invited-walk@acme.example")
    page.get_by_role("button", name="Invite member").click()
    expires = page.locator("#invitations tbody tr").last
    expect(expires).to_contain_text("invited-walk@acme.example")
    expect(expires).to_contain_text("Member")
    expiry = expires.locator("time[datetime]")
    expect(expiry).to_have_text(in_auckland(expiry.get_attribute("datetime")))


def test_a_sample_without_test_settings_says_so_in_a_sentence(login):
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator('[data-template="stripe"]').click()
    page.select_option("#sample", label="invoice.paid")
    expect(page.locator("#sample-settings")).to_have_text(
        "This sample has no test settings of its own."
    )
    page.select_option("#sample", index=0)  # the custom request: the function's test values
    expect(page.locator("#sample-settings")).to_have_text("The function has no test values.")


def test_a_legacy_function_returning_one_message_says_why_nothing_was_emitted(login, owner_api):
    code = "exports.processEvents = async () => ({ type: 'track', event: 'Single', userId: 'u1' })"
    created = owner_api.post(
        "functions/", json={"name": "Legacy single", "code": code, "interface": "legacy"}
    )
    assert created.status_code == 201, created.text
    page = login("owner")
    page.goto(f"/workspaces/acme/functions/{created.json()['id']}/")
    page.locator("#code .view-lines").wait_for()
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#result-error .ok-line")).to_have_text("✓ The function returned.")
    expect(page.get_by_test_id("nothing-emitted")).to_have_text(
        "processEvents() returned one track message, not { events, objects }: nothing was "
        "emitted. Return { events: [message] } to emit it."
    )
    expect(page.locator("#tab-result-events .count")).to_have_text("0")


# Inside its scroll box (a ring cut at the box's edge reads as no focus at all).
RING_INSIDE = """el => {
  const box = el.closest('.template-grid');
  const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
  const s = getComputedStyle(el);
  const ring = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
  const left = b.left + box.clientLeft, top = b.top + box.clientTop;
  return s.outlineStyle === 'solid' && parseFloat(s.outlineWidth) >= 2
    && r.left - ring >= left && r.top - ring >= top
    && r.right + ring <= left + box.clientWidth;
}"""
LINES = """el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
}"""


def test_the_editor_header_fits_at_1024_px(login, owner_api):
    function = create_function(owner_api, "Stripe billing for the European shop", code=LEGACY)
    assert owner_api.patch(f"functions/{function['id']}/", json={"interface": "legacy"}).is_success
    page = login("owner", width=1024, height=768)
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").click()
    page.get_by_role("button", name="Configure").click()
    page.keyboard.press("Escape")
    page.locator("#code .view-lines").click()
    page.keyboard.type("// changed\n")
    expect(page.locator("#dirty-state")).to_have_text("● Unsaved changes")
    expect(page.get_by_test_id("interface-state")).to_be_visible()
    bar = page.locator(".editor-bar").bounding_box()
    title = page.locator(".title-line").bounding_box()
    policy = page.get_by_test_id("run-policy").bounding_box()
    assert bar["height"] <= title["height"] + policy["height"] + 8, (bar, title, policy)  # 2 rows
    buttons = [
        page.locator(f"#{id}").bounding_box() for id in ("run", "configure", "save", "deploy")
    ]
    assert len({round(b["y"]) for b in buttons}) == 1, buttons  # one row of buttons
    assert all(b["x"] + b["width"] <= 1024 for b in buttons), buttons
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024

    admin = login("source_admin", width=1024, height=768)
    admin.goto(f"/workspaces/acme/functions/{function['id']}/")
    badge = admin.locator("#read-only")
    expect(badge).to_have_text("Read-only: Source Admins cannot edit code")
    assert badge.evaluate(LINES) == 1
    run = admin.locator("#run").bounding_box()
    assert run["x"] + run["width"] <= 1024, run


def test_the_template_pickers_focus_ring_shows_in_dark_mode(login):
    page = login("owner", width=1024, height=768)
    page.emulate_media(color_scheme="dark")
    page.goto("/workspaces/acme/functions/new/")
    expect(page.locator("#template-dialog")).to_be_visible()
    page.keyboard.press("Tab")
    first = page.locator('[data-template="default"]')
    expect(first).to_be_focused()
    assert first.evaluate(RING_INSIDE), "the focus ring is cut off by the list's edge"
    assert first.evaluate("el => getComputedStyle(el).outlineColor") == "rgb(124, 156, 255)"
    screenshot(page, "walk-picker-focus-dark")


CHARGE = {
    "id": "evt_n1",
    "object": "event",
    "type": "charge.succeeded",
    "created": 1714645013,
    "data": {"object": {"id": "ch_n1", "object": "charge", "amount": 2000, "currency": "usd",
                        "customer": "cus_n1", "status": "succeeded"}},
}  # fmt: skip


def test_a_newcomer_turns_a_stripe_webhook_into_events_within_a_minute(login, newcomer):
    """The whole first path a person sees, timed from the first page load (the login)."""
    started = time.monotonic()
    page = login(newcomer)
    page.get_by_role("link", name="Fresh start").click()
    guide = page.locator("#first-run")
    expect(guide.get_by_role("heading")).to_have_text("Your first function in three steps")
    guide.get_by_role("link", name="Pick a template").click()
    page.locator("#template-dialog").get_by_role("button", name="Stripe").click()
    page.get_by_role("tab", name="Webhook catcher").click()
    url = page.locator("#catcher-url")
    expect(url).to_have_value(re.compile(r"/hooks/test/"))
    assert httpx.post(url.input_value(), json=CHARGE).status_code == 200
    capture = page.locator("#captures .capture").first
    expect(capture).to_contain_text("charge.succeeded")
    capture.get_by_role("button", name="Use and run").click()
    events = page.locator("#result-events")
    expect(events.locator(".event")).to_have_count(1, timeout=30_000)
    expect(events).to_contain_text("Charge Succeeded")
    expect(events).to_contain_text('"userId": "cus_n1"')
    expect(page.locator("#result-error")).to_have_text("✓ The function returned.")
    took = time.monotonic() - started
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\nnewcomer: login to events in {took:.1f} s (load average {load})")
    screenshot(page, "walk-newcomer-events")
    assert took < 60, f"the first path took {took:.1f} s"
