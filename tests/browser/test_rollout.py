"""A gradual rollout from the source page: start it at 10 %, watch both versions' counts,
promote it; a broken version rolled back by the watch leaves a banner that says why."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function, screenshot

pytestmark = pytest.mark.browser

TRACK = '{"type": "track", "event": "Signed Up", "userId": "u1"}'
BROKEN = "async function onRequest() { throw new ValidationError('the new mapping broke'); }"
# The watch runs every ROLLOUT_WATCH_S (10 s by default) in the server's beat.
WATCH_WAIT_MS = 30_000


@pytest.fixture
def source(owner_api):
    """A source pinned to v1 of a function that has a v2 (and more, per test)."""
    function = create_function(owner_api, "Rolled out")
    created = owner_api.post("sources/", json={"name": "Rolled", "function": function["id"]})
    assert created.status_code == 201, created.text
    deployed = owner_api.post(f"functions/{function['id']}/deploy/", json={"message": "v2"})
    assert deployed.status_code == 201, deployed.text
    yield {"function": function, **created.json()}
    owner_api.delete(f"sources/{created.json()['slug']}/")


# Tests take `source` before `login`, so that the page is closed before its source is
# deleted (an open page asks for it again once its live socket drops: 404s).


def send(source, count: int) -> None:
    for _ in range(count):
        answer = httpx.post(source["webhook_url"], content=TRACK, timeout=10)
        assert answer.status_code == 200, answer.text


def test_start_a_10_percent_rollout_and_promote_it(source, login):
    page = login("owner")
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    page.select_option("#rollout-version", "2")
    page.fill("#rollout-share", "10")
    page.get_by_role("button", name="Start rollout").click()
    expect(page.locator("#rollout-line")).to_contain_text("v2 takes 10 % of new webhooks")
    send(source, 20)
    rows = page.locator("#rollout-rates tbody tr")
    expect(rows.nth(0)).to_contain_text("v2 (new)")
    expect(rows.nth(1)).to_contain_text("v1")
    # The page reads the counts again while the rollout runs: all 20 show up by themselves.
    page.wait_for_function(
        """() => [...document.querySelectorAll('#rollout-rates tbody tr td:nth-child(2)')]
                 .reduce((sum, cell) => sum + Number(cell.textContent), 0) === 20""",
        timeout=20_000,
    )
    screenshot(page, "source-rollout")
    page.get_by_role("button", name="Promote").click()
    expect(page.locator("#pinned-version")).to_have_text("v2")
    expect(page.locator("#rollout-running")).to_be_hidden()


def test_a_broken_version_is_rolled_back_with_a_banner(source, login, owner_api):
    page = login("owner")
    function_id = source["function"]["id"]
    broken = owner_api.post(f"functions/{function_id}/deploy/", json={"code": BROKEN})
    assert broken.status_code == 201, broken.text
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    page.select_option("#rollout-version", "3")
    page.fill("#rollout-share", "100")
    page.get_by_role("button", name="Start rollout").click()
    expect(page.locator("#rollout-line")).to_contain_text("v3 takes 100 %")
    send(source, 35)
    banner = page.locator("#rollback-banner")
    expect(banner).to_be_visible(timeout=WATCH_WAIT_MS)
    expect(banner).to_contain_text(
        re.compile(
            r"Rolled back automatically on [A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2}:\d{2} [AP]M\. "
            r"Version 3 failed (\d+) of its last \1 "
        )
    )
    expect(page.locator("#rollout-start-row")).to_be_visible()
    # v3 is the deployed version, but not offered as an upgrade right after it failed.
    expect(page.get_by_role("button", name="Upgrade to v3")).to_be_hidden()
    page.get_by_role("button", name="Dismiss").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#rolled-back-line")).to_contain_text("The rollout of v3 was rolled back")
