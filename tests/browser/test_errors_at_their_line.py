"""Run in the editor: an endless loop stops with the limit and the loop's line, a stray
`}` is a SyntaxError at its own line, each a link and a marker at that line."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

LOOPING = """async function onRequest(request, settings) {
  const body = request.json();
  let n = 0;
  while (true) {
    n++;
  }
}
"""
STRAY_BRACE = """function amount(body) {
  return body.amount / 100;
}
}
async function onRequest(request) {
  Segment.track({ event: 'Order Completed', userId: 'u1' });
}
"""


def _new_function(login, server):
    page = login("owner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"])
    page.goto("/workspaces/acme/functions/new/")
    page.locator("#code .view-lines").wait_for()
    page.keyboard.press("Escape")  # the template picker: the default template
    return page


def _paste_and_run(page, code: str) -> None:
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+a")
    page.evaluate("text => navigator.clipboard.writeText(text)", code)
    page.keyboard.press("Control+v")
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#run")).to_be_enabled(timeout=30_000)


def test_an_endless_loop_says_its_line_and_the_limit(login, server):
    page = _new_function(login, server)
    _paste_and_run(page, LOOPING)

    error = page.locator("#result-error")
    link = error.locator(".error-link")
    expect(link).to_have_text(
        "TimeoutError: the function ran past its 1 s limit at function.js line 4"
    )
    hint = page.get_by_test_id("error-hint")
    expect(hint).to_contain_text("The loop at line 4 was still running when the time was up")
    expect(hint).to_contain_text("an owner sets it in Configure")
    expect(page.locator("#code .squiggly-error")).to_have_count(1)  # the runner's marker
    screenshot(page, "editor-stopped-loop")

    link.click()
    expect(page.locator("#code .line-numbers.active-line-number")).to_have_text("4")


def test_a_stray_brace_is_reported_at_its_own_line(login, server):
    page = _new_function(login, server)
    _paste_and_run(page, STRAY_BRACE)
    expect(page.locator("#result-error .error-link")).to_have_text(
        "SyntaxError: Unexpected token '}' (line 4, column 1)"
    )
    expect(page.locator("#result-error")).to_contain_text(
        "Nothing is sent when the function throws."
    )
