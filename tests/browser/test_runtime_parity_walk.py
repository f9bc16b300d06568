"""A newcomer migrating functions written for Segment's runtime today: pasted code gets
completion for the globals it uses and no red squiggles, runs, and what cannot work here
(require, a timeout, a loop to the product's own webhook URL) fails with words that say
what to do; Configure shows what a new function gets by default, and a dead letter shows
when each attempt ran next to the retry schedule it promised."""

import re
import time
from datetime import datetime

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

MIGRATED = """async function onRequest(request, settings) {
  const body = request.json();
  const uuid = uuidv5.uuidv5;
  const when = moment.tz(body.createdAt, 'America/New_York');
  const token = jsonwebtoken.sign({ sub: body.userId }, 'shh', { noTimestamp: true });
  const order = await xml2js.parseStringPromise('<order><id>42</id></order>');
  const packed = zlib.zlib.gzipSync(JSON.stringify(body));
  winstonlib.winston.info('handling', { user: body.userId });
  const rates = await cache.load('rates', 60000, async () => ({ eur: 0.9 }));
  const copy = structuredClone({ tags: new Set(['a']) });
  Segment.track({
    userId: body.userId,
    event: 'Signed Up',
    properties: {
      id: uuid('url', 'https://example.com/users/' + body.userId),
      local: when.format('YYYY-MM-DD HH:mm z'),
      sub: jsonwebtoken.verify(token, 'shh').sub,
      orderId: order.order.id[0],
      unpacked: JSON.parse(zlib.zlib.gunzipSync(packed).toString()).userId,
      odd: _.filter([1, 2, 3], (n) => n % 2).length,
      rate: rates.eur,
      copied: copy.tags.has('a'),
    },
  });
}
"""
REQUIRES = """const _ = require('lodash');
const axios = require('axios');
async function onRequest(request, settings) {}
"""
SLOW = """async function onRequest() {
  await new Promise((resolve) => setTimeout(resolve, 1500));
}
"""
FAILS = "async function onRequest() { throw new RetryError('the CRM answered 503'); }"


def _paste(page, code: str) -> None:
    """Replace the editor's code as a paste does (typing would auto-close brackets)."""
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+a")
    page.evaluate("text => navigator.clipboard.writeText(text)", code)
    page.keyboard.press("Control+v")


def _suggested(page, typed: str) -> list[str]:
    """What the completion list offers after typing `typed` on a new last line."""
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type(typed)
    page.keyboard.press("Control+Space")
    rows = page.locator(".suggest-widget .monaco-list-row")
    expect(rows.first).to_be_visible()
    labels = [label.split(",")[0] for label in rows.evaluate_all("r => r.map(e => e.ariaLabel)")]
    page.keyboard.press("Escape")
    page.keyboard.press("Shift+Home")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    return labels


def _run(page) -> None:
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#run")).to_be_enabled(timeout=30_000)


def _new_function(login, server):
    page = login("owner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"])
    page.goto("/workspaces/acme/functions/new/")
    page.locator("#code .view-lines").wait_for()
    page.keyboard.press("Escape")  # the template picker
    return page


def test_pasted_segment_function_completes_and_runs_with_no_squiggles(login, server):
    page = _new_function(login, server)
    _paste(page, MIGRATED)
    for typed, expected in [
        ("_.cloneD", "cloneDeep"),
        ("console.wa", "warn"),
        ("Buffer.byteL", "byteLength"),
        ("crypto.randomB", "randomBytes"),
        ("moment.tz.gu", "guess"),
        ("cache.del", "delete"),
        ("new AbortController().sig", "signal"),
    ]:
        assert expected in _suggested(page, typed), typed
    expect(page.locator("#code .squiggly-error")).to_have_count(0)

    page.locator("#body-editor .view-lines").click()
    page.keyboard.press("Control+a")
    page.evaluate(
        "text => navigator.clipboard.writeText(text)",
        '{"userId": "u1", "createdAt": "2021-03-14T12:00:00Z"}',
    )
    page.keyboard.press("Control+v")
    _run(page)
    expect(page.locator("#result-error")).to_have_text("✓ The function returned.")
    events = page.locator("#result-events")
    for shown in [
        '"local": "2021-03-14 08:00 EDT"',
        '"sub": "u1"',
        '"orderId": "42"',
        '"unpacked": "u1"',
        '"odd": 2',
        '"rate": 0.9',
        '"copied": true',
    ]:
        expect(events).to_contain_text(shown)
    expect(page.locator("#result-logs")).to_contain_text("[log] info: handling user=u1")
    screenshot(page, "parity-migrated-run")


def test_require_a_timeout_and_a_loop_say_what_to_do(login, server, owner_api):
    page = _new_function(login, server)
    hint = page.get_by_test_id("error-hint")

    _paste(page, REQUIRES)
    _run(page)
    expect(page.locator("#result-error")).to_contain_text("ReferenceError: require is not defined")
    expect(hint).to_have_text(
        "There is no require() in Source Functions: the libraries of Segment's runtime are "
        "already globals. Delete the require() lines and use _ for 'lodash'. 'axios' is not "
        "available: for an HTTP API, call it with fetch()."
    )
    screenshot(page, "parity-require-hint")

    _paste(page, SLOW)
    _run(page)
    expect(page.locator("#result-error")).to_contain_text("TimeoutError")
    expect(hint).to_contain_text("up to 10 s: an owner sets it in Configure")

    source = owner_api.post(
        "sources/",
        json={"name": "Loop target", "function": _deployed(owner_api, "Loop target fn")["id"]},
    )
    assert source.status_code == 201, source.text
    webhook_url = source.json()["webhook_url"]
    _paste(page, f"async function onRequest() {{ await fetch('{webhook_url}'); }}")
    _run(page)
    expect(page.locator("#result-error")).to_contain_text(
        "failed, reason: a function cannot send to its own webhook URLs"
    )
    expect(page.locator("#result-error")).not_to_contain_text(webhook_url)
    fetches = page.locator("#result-fetches")
    page.get_by_role("tab", name="Fetches").click()
    expect(page.get_by_role("tab", name="Fetches")).to_have_text("Fetches 1")
    expect(fetches.locator("pre.fetch")).to_have_text(
        re.compile(r"^GET http://127\.0\.0\.1:\d+/hooks/… → no response")
    )


def _deployed(api: httpx.Client, name: str, **fields) -> dict:
    made = api.post("functions/", json={"name": name, "code": FAILS, **fields})
    assert made.status_code == 201, made.text
    done = api.post(f"functions/{made.json()['id']}/deploy/", json={"message": "first"})
    assert done.status_code == 201, done.text
    return made.json()


def test_configure_shows_what_a_new_function_gets_by_default(login, server):
    page = _new_function(login, server)
    page.get_by_role("button", name="Configure").click()
    dialog = page.locator("#configure-dialog")
    limit = dialog.get_by_label("Time limit per execution")
    expect(limit).to_have_attribute("placeholder", "1 (the default)")
    expect(dialog.get_by_label("Attempts")).to_have_attribute("placeholder", "5")
    # The test server's waits (conftest: RETRY_BACKOFF_BASE_S 0.2, RETRY_BACKOFF_CAP_S 1).
    expect(dialog.get_by_label("First wait")).to_have_attribute("placeholder", "0.2")
    expect(dialog.get_by_label("Longest wait")).to_have_attribute("placeholder", "1")
    expect(dialog.locator("#fn-retry-summary")).to_contain_text("Default: Any failure: 5 attempts")
    # Wide enough to read its placeholder.
    assert limit.bounding_box()["width"] > 140
    screenshot(page, "parity-configure-defaults")


def test_a_dead_letter_shows_when_each_attempt_ran(login, owner_api):
    policy = {"retry_on": "retry_error_and_timeouts", "attempts": 3}
    policy.update(first_delay_s=1, max_delay_s=2)
    function = _deployed(owner_api, "Flaky CRM", retry_policy=policy)
    source = owner_api.post("sources/", json={"name": "Flaky CRM", "function": function["id"]})
    assert source.status_code == 201, source.text
    assert httpx.post(source.json()["webhook_url"], json={"id": "evt_1"}).status_code == 200

    page = login("owner")
    page.goto("/workspaces/acme/sources/flaky-crm/")
    page.get_by_role("tab", name="Dead letters").click()  # kept in the URL across reloads
    letters = page.locator("#dead-letters .dead-letter")
    deadline = time.monotonic() + 30
    while not letters.count() and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    letter = letters.first
    letter.locator("summary").click()
    expect(letter.locator(".retry-policy")).to_contain_text(
        "3 attempts, waiting 1 s and 2 s between them"
    )
    times = letter.locator(".attempt-times")
    expect(times).to_contain_text(re.compile(r"^Attempts: #1 at .+ · #2 [\d.]+ s later · #3 "))
    screenshot(page, "parity-dead-letter-attempts")

    shown = [float(s) for s in re.findall(r"([\d.]+) s later", times.inner_text())]
    letter_api = owner_api.get("sources/flaky-crm/dead-letters/").json()["results"][0]
    started = [datetime.fromisoformat(e["started_at"]) for e in letter_api["executions"]]
    waits = [(b - a).total_seconds() for a, b in zip(started, started[1:], strict=False)]
    assert len(shown) == len(waits) == 2
    assert all(abs(s - w) <= 0.051 for s, w in zip(shown, waits, strict=True)), (shown, waits)
    # Each wait is its step less by up to 20 %, plus the time a retry takes to start:
    # Celery's timer may sleep up to 2 s before it sees a new countdown.
    for wait, step in zip(waits, letter_api["retry_policy"]["waits_s"], strict=True):
        assert step * 0.8 - 0.05 <= wait <= step + 2.5, (waits, step)
