"""The editor's layout reads as an IDE: a split between the code and the test pane that
drags, moves with the arrow keys and is remembered; the result in its own panel with a tab
(and its count) for events, objects, logs, fetches, the response and the timing, under
inputs that stay in view; a header that keeps one line at 1024 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

REM = 16  # the root font size: the minimums are 20rem (code) and 22rem (test pane)
CODE_MIN, SIDE_MIN = 20 * REM, 22 * REM

EVERYTHING = """async function onRequest(request, settings) {
  console.log('handling');
  console.warn('careful');
  try {
    await fetch('http://127.0.0.1:9/nothing-here');
  } catch (e) {
    console.log('fetch failed');
  }
  Segment.track({ event: 'First', userId: 'u1' });
  Segment.track({ event: 'Second', userId: 'u1' });
  Segment.set({ collection: 'users', id: 'u1', properties: { plan: 'pro' } });
}
"""
THROWS = """async function onRequest(request, settings) {
  console.error('about to fail');
  throw new ValidationError('no user in this webhook');
}
"""


@pytest.fixture(scope="module")
def function(owner_api):
    return create_function(owner_api, "Laid out")


def _editor(login, function, **size):
    page = login("owner", **size)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    expect(page.locator("#deploy-state")).to_have_text("v1 deployed")
    page.locator("#code .view-lines").wait_for()
    return page


def _width(page, selector: str) -> float:
    return page.locator(selector).bounding_box()["width"]


def _set_code(page, code: str) -> None:
    page.locator("#code .view-lines").click()
    page.keyboard.press("Control+a")
    page.evaluate("text => navigator.clipboard.writeText(text)", code)
    page.keyboard.press("Control+v")


def _run(page) -> None:
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#run")).to_be_enabled(timeout=30_000)
    expect(page.locator("#results")).to_be_visible()


def test_the_split_drags_moves_with_the_keys_and_is_remembered(login, function):
    page = _editor(login, function)
    handle = page.get_by_role("separator", name="Width of the code and the test pane")
    expect(handle).to_have_attribute("aria-orientation", "vertical")
    expect(handle).to_have_attribute("aria-valuenow", re.compile(r"^\d+$"))
    side, code = _width(page, "#side-pane"), _width(page, "#code-pane")
    now = int(handle.get_attribute("aria-valuenow"))

    # Dragged 200 px to the left: the test pane is 200 px wider, Monaco follows the code pane.
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 100, y, steps=4)
    page.mouse.move(x - 200, y, steps=4)
    page.mouse.up()
    assert _width(page, "#side-pane") == pytest.approx(side + 200, abs=2)
    assert _width(page, "#code-pane") == pytest.approx(code - 200, abs=2)
    page.wait_for_function(  # Monaco laid out again at the code pane's new width
        "() => Math.abs(document.querySelector('#code .monaco-editor').offsetWidth"
        " - document.querySelector('#code').offsetWidth) < 2"
    )
    assert int(handle.get_attribute("aria-valuenow")) < now

    # The keys: focused, each arrow moves it 16 px (64 with Shift); Home and End go as far
    # as each side's minimum.
    handle.focus()
    side = _width(page, "#side-pane")
    page.keyboard.press("ArrowRight")
    assert _width(page, "#side-pane") == pytest.approx(side - 16, abs=1)
    page.keyboard.press("Shift+ArrowLeft")
    assert _width(page, "#side-pane") == pytest.approx(side + 48, abs=1)
    page.keyboard.press("Home")
    assert _width(page, "#code-pane") == pytest.approx(CODE_MIN, abs=1)
    expect(handle).to_have_attribute("aria-valuenow", handle.get_attribute("aria-valuemin"))
    page.keyboard.press("End")
    assert _width(page, "#side-pane") == pytest.approx(SIDE_MIN, abs=1)
    expect(handle).to_have_attribute("aria-valuenow", handle.get_attribute("aria-valuemax"))

    # Dragged past the code's minimum, it stops there.
    box = handle.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(10, y, steps=5)
    page.mouse.up()
    assert _width(page, "#code-pane") == pytest.approx(CODE_MIN, abs=1)

    # Remembered in this browser: a reload opens at the size left.
    handle.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    side = _width(page, "#side-pane")
    page.reload()
    page.locator("#code .view-lines").wait_for()
    assert _width(page, "#side-pane") == pytest.approx(side, abs=1)
    assert page.evaluate("localStorage.getItem('editor.split.side-width')") == str(round(side))
    screenshot(page, "editor-split-moved")

    # A double-click puts it back where it was at first.
    handle.dblclick()
    room = _width(page, "#editor-layout") - _width(page, "#split-handle") - 2 * 4
    assert _width(page, "#side-pane") == pytest.approx(room * 0.38, abs=2)


def test_the_result_has_tabs_with_counts_under_inputs_in_view(login, function):
    page = _editor(login, function)
    _set_code(page, EVERYTHING)
    _run(page)

    tabs = page.get_by_role("tablist", name="Result").get_by_role("tab")
    expect(tabs).to_have_text(
        [
            "Events 2",
            "Objects 1",
            "Logs 3",
            "Fetches 1",
            "Response 200",
            re.compile(r"^Timing \d+(\.\d)? ms$"),
        ]
    )
    expect(page.locator("#tab-result-logs .count")).to_have_class(re.compile(r"\bwarn\b"))
    expect(page.locator("#result-error")).to_have_text("✓ The function returned.")
    events = page.locator("#result-events")
    expect(events).to_be_visible()
    expect(events).to_contain_text("First")
    expect(events).to_contain_text("Second")
    expect(page.locator("#result-objects")).to_be_hidden()

    # The result has its own panel under the code: every input stays in view beside it.
    for field in ("#method", "#query", "#headers", "#body-editor"):
        expect(page.locator(field)).to_be_in_viewport(ratio=1)
    code, results = (
        page.locator("#code-pane").bounding_box(),
        page.locator("#results").bounding_box(),
    )
    assert code["y"] + code["height"] <= results["y"]
    side = page.locator("#side-pane").bounding_box()
    assert results["x"] + results["width"] <= side["x"]
    expect(page.get_by_role("separator", name="Height of the code and the result")).to_be_visible()

    page.get_by_role("tab", name="Objects").click()
    objects = page.locator("#result-objects")
    expect(objects).to_be_visible()
    expect(objects).to_contain_text("users / u1")
    expect(objects).to_contain_text('"plan": "pro"')
    expect(events).to_be_hidden()
    page.keyboard.press("ArrowRight")  # the tabs move with the arrows too
    expect(page.get_by_role("tab", name="Logs")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#result-logs")).to_contain_text("[warn] careful")
    page.keyboard.press("ArrowRight")
    fetches = page.locator("#result-fetches")
    expect(fetches).to_be_visible()
    expect(fetches.locator("pre.fetch")).to_have_text(
        re.compile(r"^GET http://127\.0\.0\.1:9/nothing-here → ")
    )
    page.get_by_role("tab", name="Response").click()
    expect(page.locator("#result-response")).to_contain_text("before the function runs")
    page.get_by_role("tab", name="Timing").click()
    timing = page.locator("#result-timing")
    expect(timing.locator('tr[data-timing="function"]')).to_contain_text(
        re.compile(r"\d+\.\d ms.*% of its 1 s limit")
    )
    expect(timing.locator('tr[data-timing="fetch"]')).to_contain_text(
        "GET http://127.0.0.1:9/nothing-here"
    )
    expect(timing.locator('tr[data-timing="round-trip"]')).to_contain_text(
        "queue, worker and network"
    )
    screenshot(page, "editor-result-tabs")

    # The tab chosen stays chosen for the next Run; an error stays above the tabs.
    _set_code(page, THROWS)
    _run(page)
    error = page.locator("#result-error")
    expect(error).to_contain_text("ValidationError: no user in this webhook")
    expect(error).to_be_in_viewport()
    expect(page.get_by_role("tab", name="Timing")).to_have_attribute("aria-selected", "true")
    expect(tabs).to_have_text(
        ["Events 0", "Objects 0", "Logs 1", "Fetches 0", "Response 200", re.compile(r"^Timing ")]
    )
    expect(page.locator("#tab-result-logs .count")).to_have_class(re.compile(r"\berr\b"))
    page.get_by_role("tab", name="Logs").click()
    expect(page.locator("#result-logs")).to_contain_text("[error] about to fail")
    expect(error).to_be_visible()

    # The Settings (their test values) stay in view with the result too, and a Run from
    # any tab of the side pane shows it.
    page.get_by_role("tab", name="Settings", exact=True).click()
    expect(page.locator("#panel-settings")).to_be_in_viewport()
    expect(page.locator("#results")).to_be_visible()
    page.get_by_role("tab", name="Versions").click()
    with page.expect_response(re.compile(r"/test/$"), timeout=30_000):
        page.keyboard.press("Control+Enter")
    expect(page.locator("#run")).to_be_enabled(timeout=30_000)
    expect(page.locator("#result-logs")).to_contain_text("[error] about to fail")
    expect(page.locator("#results")).to_be_in_viewport()

    # The result's height is a second split, moved with the keys and remembered.
    rows = page.get_by_role("separator", name="Height of the code and the result")
    height = page.locator("#results").bounding_box()["height"]
    rows.focus()
    page.keyboard.press("ArrowUp")
    assert page.locator("#results").bounding_box()["height"] == pytest.approx(height + 16, abs=1)
    page.reload()
    page.locator("#code .view-lines").wait_for()
    _run(page)
    assert page.locator("#results").bounding_box()["height"] == pytest.approx(height + 16, abs=1)


def test_the_header_keeps_one_line_at_1024_px(login, owner_api):
    long_name = "A function with a long name that goes on " + "and on " * 8
    function = create_function(owner_api, long_name.strip()[:100])
    for role in ("owner", "member"):
        page = login(role, width=1024, height=768)
        page.goto(f"/workspaces/acme/functions/{function['id']}/")
        expect(page.locator("#deploy-state")).to_have_text("v1 deployed")
        page.locator("#code .view-lines").wait_for()

        expect(page.locator(".editor-title #show-shortcuts")).to_have_count(1)
        expect(page.locator(".editor-actions #show-shortcuts")).to_have_count(0)
        actions = page.locator(".editor-actions > :visible")
        tops = {
            round(b["y"]) for b in (actions.nth(i).bounding_box() for i in range(actions.count()))
        }
        assert len(tops) == 1, (role, tops)  # one row: nothing wrapped
        left = page.locator(".editor-actions").bounding_box()["x"]
        for shown in ("#function-name", "#deploy-state", "#show-shortcuts"):
            expect(page.locator(shown)).to_be_in_viewport(ratio=1)
            box = page.locator(shown).bounding_box()
            assert box["x"] + box["width"] <= left, (role, shown)  # nothing under the buttons
        # The name gives way (ellipsised), not the version or the deploy state.
        assert page.evaluate(
            "(e => e.scrollWidth > e.clientWidth)(document.querySelector('#function-name'))"
        )
        title = page.locator(".title-line").bounding_box()
        assert title["height"] < 40
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # The split at 1024 px: side by side, each at least its minimum, no overlap.
        code, side = (
            page.locator("#code-pane").bounding_box(),
            page.locator("#side-pane").bounding_box(),
        )
        assert code["width"] >= CODE_MIN and side["width"] >= SIDE_MIN
        assert code["x"] + code["width"] <= side["x"]
        assert side["x"] + side["width"] <= 1024
        screenshot(page, f"editor-{role}-header-1024")


def test_a_narrow_window_stacks_the_panes(login, function):
    page = _editor(login, function, width=700, height=800)
    code, side = (
        page.locator("#code-pane").bounding_box(),
        page.locator("#side-pane").bounding_box(),
    )
    assert side["y"] >= code["y"] + code["height"]  # the test pane under the code
    assert side["width"] == pytest.approx(code["width"], abs=1)
    expect(page.locator("#split-handle")).to_be_hidden()
    _set_code(page, EVERYTHING)
    _run(page)
    side, results = (
        page.locator("#side-pane").bounding_box(),
        page.locator("#results").bounding_box(),
    )
    assert results["y"] >= side["y"] + side["height"]  # then the result, under the inputs
    page.get_by_role("tab", name="Objects").click()
    expect(page.locator("#result-objects")).to_contain_text("users / u1")
    screenshot(page, "editor-narrow")


def test_the_new_parts_follow_dark_mode(login, function):
    page = login("owner")
    page.emulate_media(color_scheme="dark")
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    page.locator("#code .view-lines").wait_for()
    _run(page)
    line = page.evaluate(
        "getComputedStyle(document.querySelector('#split-handle'), '::after').backgroundColor"
    )
    assert line == "rgb(52, 58, 70)"  # --line, dark
    assert (
        page.locator("#results").evaluate("e => getComputedStyle(e).backgroundColor")
        == "rgb(28, 32, 40)"
    )
    count = page.locator("#tab-result-events .count").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert count == "rgb(42, 48, 60)"  # --chip, dark
    screenshot(page, "editor-result-dark")
