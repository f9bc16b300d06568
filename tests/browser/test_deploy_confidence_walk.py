"""Deploying with confidence, walked as a newcomer: a test saved from a sample runs as the
sample's Run did (no secret it did not use), a refused form says each problem once next to
its field, the deploy gate's failures show in the Tests tab too, a reopened function's
input is its first sample, a preview counts its errors in words; on the source page a
rolled-back version is not offered as an upgrade and the rollback says when it happened,
in the one date format of every page."""

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import create_function

pytestmark = pytest.mark.browser

# How formatTime (frontend/src/lib/time.js) words a time of this year in Chromium's en-US.
ONE_FORMAT = r"[A-Z][a-z]{2} \d{1,2}, \d{2}:\d{2}:\d{2} [AP]M"


def open_editor(page, function):
    page.goto(f"/workspaces/acme/functions/{function['id']}/")
    expect(page.locator("#dirty-state")).to_have_text("Draft saved")


def run(page, emitted: str):
    """Run, and wait for this Run's result (the one before may say the same words)."""
    page.get_by_role("button", name="▶ Run").click()
    expect(page.locator("#result-events")).to_contain_text(emitted, timeout=20_000)
    expect(page.locator("#results")).to_contain_text("The function returned")


def test_a_test_saved_from_a_sample_runs_as_the_sample_did(login, owner_api):
    # Stripe's function has a secret setting (signingSecret) and no test secret kept;
    # its customer.created sample runs without one.
    function = create_function(owner_api, "Stripe saved tests", template="stripe", deploy=False)
    page = login("owner", refusals=True)
    open_editor(page, function)
    # Reopened: the manual input is the function's first sample, ready to run.
    expect(page.locator("#sample option:checked")).to_have_text("customer.created")
    expect(page.locator("#body-editor")).to_contain_text("cus_Q1x9ZbT4mN2kLp")
    run(page, "cus_Q1x9ZbT4mN2kLp")

    page.get_by_role("button", name="Save as test").click()
    expect(page.locator("#test-secrets-note")).to_be_empty()
    # Refused: the name is said once, next to its field, which is marked and focused.
    page.get_by_role("button", name="Save test").click()
    name_error = page.locator('#save-test-form [data-error="name"]')
    expect(name_error).to_have_text("This field may not be blank.")
    expect(page.locator('#save-test-form [data-error="form"]')).to_have_text(
        "Correct the field marked above."
    )
    expect(page.locator("#test-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#test-name")).to_be_focused()
    page.fill("#test-expect", "{not json")
    page.fill("#test-name", "customer becomes identify")
    page.get_by_role("button", name="Save test").click()
    expect(page.locator('#save-test-form [data-error="expect"]')).to_contain_text(
        "The expectation is not valid JSON"
    )
    expect(name_error).to_be_empty()
    expect(page.locator("#test-name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#test-expect")).to_have_attribute("aria-invalid", "true")
    page.fill("#test-expect", '{"events": [{"type": "identify", "userId": "cus_Q1x9ZbT4mN2kLp"}]}')
    page.get_by_role("button", name="Save test").click()
    expect(page.locator("#save-test-dialog")).to_be_hidden()

    saved = owner_api.get(f"functions/{function['id']}/tests/").json()["results"]
    assert [(t["name"], t["secret_settings"]) for t in saved] == [("customer becomes identify", [])]
    page.get_by_role("tab", name="Tests").click()
    page.get_by_role("button", name="Run all tests").click()
    expect(page.locator("#tests-summary")).to_have_text("1 passed, 0 failed", timeout=30_000)

    # The signed sample runs with its own secret: a test of it runs with the function's,
    # which is not set, and the dialog says so before it is saved.
    page.get_by_role("tab", name="Test", exact=True).click()
    page.select_option("#sample", label="charge.succeeded (signed)")
    run(page, "Charge Succeeded")
    page.get_by_role("button", name="Save as test").click()
    expect(page.locator("#test-secrets-note")).to_contain_text(
        "signingSecret: the test runs with the function's test secret, which is not set"
    )
    page.get_by_role("button", name="Cancel").click()


def test_the_gate_s_failures_show_in_the_tests_tab(login, owner_api):
    function = create_function(owner_api, "Gate in the Tests tab", deploy=False)
    request = {"method": "POST", "url": "https://example.com/hook", "headers": {},
               "body": {"type": "track", "event": "Signed Up", "userId": "u1"}}  # fmt: skip
    for name, event in (("keeps the name", "Signed Up"), ("wants another name", "Renamed")):
        expect_ = {"events": [{"type": "track", "event": event}]}
        made = owner_api.post(
            f"functions/{function['id']}/tests/",
            json={"name": name, "request": request, "expect": expect_},
        )
        assert made.status_code == 201, made.text
    page = login("owner", refusals=True)  # the gate's 409
    open_editor(page, function)
    page.get_by_role("button", name="Save & Deploy").click()
    page.get_by_role("button", name="Deploy", exact=True).click()
    expect(page.locator("#gate-refusal")).to_contain_text("Not deployed: 1 of 2 saved tests fail")
    page.get_by_role("button", name="Deploy anyway").click()
    expect(page.locator('#deploy-form [data-error="deploy_anyway"]')).to_have_text(
        "Say why: the reason goes to the audit log."
    )
    expect(page.locator("#deploy-anyway-reason")).to_be_focused()
    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("tab", name="Tests").click()
    expect(page.locator("#tests-summary")).to_have_text(
        "The deploy was refused: 1 passed, 1 failed"
    )
    failed = page.locator("#saved-tests .saved-test.failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("FAIL")
    expect(failed).to_contain_text("wants another name")
    expect(failed.locator("pre.differences")).to_have_text(
        'events[0].event: expected "Renamed", got "Signed Up"'
    )
    expect(page.locator("#saved-tests .saved-test.passed")).to_contain_text("keeps the name")


@pytest.fixture
def source(owner_api):
    """A source on v1 of a function deployed again as v2."""
    function = create_function(owner_api, "Rolled back walk")
    created = owner_api.post("sources/", json={"name": "Rolled back", "function": function["id"]})
    assert created.status_code == 201, created.text
    assert owner_api.post(f"functions/{function['id']}/deploy/", json={}).status_code == 201
    yield created.json()
    owner_api.delete(f"sources/{created.json()['slug']}/")


# `source` before `login`: the page is closed before its source is deleted (a page still
# open would ask for the deleted source once its live socket drops, a 404 in the console).
def test_a_rolled_back_version_is_not_offered_as_an_upgrade(source, login):
    page = login("owner", refusals=True)
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    expect(page.get_by_role("button", name="Upgrade to v2")).to_be_visible()

    # A share out of range: said once, under the share, the field marked.
    page.fill("#rollout-share", "0")
    page.get_by_role("button", name="Start rollout").click()
    share_error = page.locator('#rollout-start-row [data-error="share"]')
    expect(share_error).to_have_text(
        "The share is the percentage of webhooks, a whole number from 1 to 100."
    )
    expect(page.locator('#rollout-start-row [data-error="form"]')).to_have_text(
        "Correct the field marked above."
    )
    expect(page.locator("#rollout-share")).to_have_attribute("aria-invalid", "true")

    page.fill("#rollout-share", "10")
    page.get_by_role("button", name="Start rollout").click()
    expect(page.locator("#rollout-line")).to_contain_text("v2 takes 10 % of new webhooks")
    page.get_by_role("button", name="Roll back", exact=True).click()
    line = page.locator("#rolled-back-line")
    expect(line).to_have_text(
        re.compile(rf"^The rollout of v2 was rolled back on {ONE_FORMAT}: Move to v2 or a new")
    )
    expect(page.get_by_role("button", name="Upgrade to v2")).to_be_hidden()
    page.reload()
    expect(line).to_be_visible()
    expect(page.get_by_role("button", name="Upgrade to v2")).to_be_hidden()
    expect(page.locator("#behind-badge")).to_be_visible()

    # The audit log, rendered by the server, says its times the same way.
    page.goto("/workspaces/acme/settings/")
    first_time = page.locator("#audit time").first
    expect(first_time).to_have_text(re.compile(rf"^{ONE_FORMAT}$"))

    # Moving the source on purpose ends it: v2 is where it runs now.
    page.goto(f"/workspaces/acme/sources/{source['slug']}/")
    page.select_option("#move-version", "2")
    page.get_by_role("button", name="Upgrade / roll back").click()
    expect(page.locator("#pinned-version")).to_have_text("v2")
    expect(line).to_be_hidden()


CURRENT = """async function onRequest(request) {
  const { userId } = request.json();
  Segment.track({ event: 'Signed Up', userId });
}"""
FAILS_FOR_U1 = CURRENT.replace(
    "Segment.track(", "if (userId === 'u1') throw new ValidationError('no u1');\n  Segment.track("
)


def test_a_preview_counts_one_new_error_in_words(login, owner_api):
    function = owner_api.post("functions/", json={"name": "Preview words", "code": CURRENT}).json()
    assert owner_api.post(f"functions/{function['id']}/deploy/", json={}).status_code == 201
    source = owner_api.post("sources/", json={"name": "Words", "function": function["id"]}).json()
    for n in range(3):
        sent = httpx.post(source["webhook_url"], json={"userId": f"u{n}"}, timeout=10)
        assert sent.status_code == 200, sent.text
    deadline = time.monotonic() + 20
    while owner_api.get(f"sources/{source['slug']}/logs/").json()["count"] < 3:
        assert time.monotonic() < deadline, "the webhooks did not run"
        time.sleep(0.2)
    assert owner_api.patch(f"functions/{function['id']}/", json={"code": FAILS_FOR_U1}).is_success
    page = login("owner")
    open_editor(page, function)
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#preview-source")).to_have_value(source["slug"])
    page.get_by_role("button", name="Preview on recent traffic").click()
    expect(page.get_by_test_id("preview-summary")).to_contain_text(
        "3 webhooks: 2 same, 1 different (1 new error)", timeout=20_000
    )
    webhook = page.locator(".preview-webhook summary")
    expect(webhook).to_have_count(1)
    expect(webhook).to_contain_text(re.compile(rf"{ONE_FORMAT} · v1 new error, 1 missing event"))
    page.close()
    owner_api.delete(f"sources/{source['slug']}/")
