"""Every sample of every template passes in the editor, as a newcomer runs it: picked
from the Sample payload menu of a new function and run (its own test settings, typed
for it), then again after Configure and a reload, when the samples are the function's,
kept with it with their settings (the Run then names the sample). Each result is what
the sample's template.json expects, and the result pane says so."""

import re

import pytest
from playwright.sync_api import expect

from catalog.function_templates import all_templates, get_template
from tests.catalog.test_function_templates import _matches, assert_response

pytestmark = pytest.mark.browser


def run_in_editor(page) -> tuple[dict, dict]:
    """Run, and what the editor sent and got back (what the result pane shows)."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/test/")
    ) as answer:
        page.get_by_role("button", name="▶ Run").click()
    assert answer.value.status == 200, answer.value.text()
    return answer.value.request.post_data_json, answer.value.json()


def check(page, sample: dict, result: dict) -> None:
    expected = sample["expect"]
    where = sample["name"]
    assert (result["error"] or {}).get("name") == expected["error"], (where, result["error"])
    assert _matches(expected["events"], result["events"]), (where, result["events"])
    objects = [{"collection": o["collection"], "id": o["id"]} for o in result["objects"]]
    assert objects == expected["objects"], (where, objects)
    if "response" in expected:
        assert_response(expected["response"], result["response"])
    pane = page.locator("#results")
    if expected["error"]:
        expect(pane.locator("#result-error")).to_contain_text(expected["error"])
    else:
        expect(pane.locator("#result-error")).to_contain_text("The function returned")
    expect(pane.locator("#tab-result-events .count")).to_have_text(str(len(expected["events"])))


def run_every_sample(page, template, *, saved: bool) -> None:
    for sample in template.samples:
        page.select_option("#sample", label=sample["name"])
        sent, result = run_in_editor(page)
        # Once the function keeps its samples, a Run names the one it runs.
        assert ("sample" in sent) is saved, (sample["name"], sent)
        check(page, sample, result)


@pytest.mark.parametrize("slug", [t.slug for t in all_templates()])
def test_every_sample_passes_before_and_after_configure(login, slug):
    template = get_template(slug)
    page = login("owner")
    page.goto("/workspaces/acme/functions/new/")
    page.locator(f'[data-template="{slug}"]').click()
    expect(page.locator("#sample option")).to_have_count(len(template.samples) + 1)

    run_every_sample(page, template, saved=False)

    page.get_by_role("button", name="Configure").click()
    page.fill("#fn-name", f"{template.name} samples")
    page.get_by_role("button", name="Create Function").click()
    expect(page).to_have_url(re.compile(r"/workspaces/acme/functions/\d+/$"))
    # The toast comes once the function's samples are in the menu.
    expect(page.locator("#toasts")).to_contain_text(f"Created {template.name} samples")
    first = template.samples[0]["name"]
    page.select_option("#sample", label=first)
    sent, result = run_in_editor(page)
    assert "sample" in sent
    check(page, template.samples[0], result)

    # From a fresh page: the samples are the function's now, each with its settings.
    page.reload()
    expect(page.locator("#sample option")).to_have_count(len(template.samples) + 1, timeout=15_000)
    run_every_sample(page, template, saved=True)
