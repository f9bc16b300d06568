"""The function templates library: well-formed templates whose samples really work.

Every sample request of every template runs through the real runner and must produce the
events, objects or error its template.json expects, and the response for the sender
where it says one (Zulip-style fixture replay).
"""

import json
import keyword
import re

import pytest

import runner
from catalog.function_templates import Template, all_templates, get_template
from catalog.models import WEBHOOK_METHODS

SETTING_TYPES = {"string", "boolean", "array", "text_map"}
REQUIRED_SLUGS = {
    "default",
    "drift",
    "zuora",
    "pipedrive",
    "stripe",
    "github",
    "shopify",
    "typeform",
    "twilio-sms",
    "intercom",
    "zendesk",
    "calendly",
    "slack",
    "zoom",
    "whatsapp",
    "microsoft-graph",
}
JS_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def _samples():
    return [
        pytest.param(template, sample, id=f"{template.slug}/{sample['name']}")
        for template in all_templates()
        for sample in template.samples
    ]


def _matches(expected, actual) -> bool:
    """True when `expected` is a deep subset of `actual` (lists match item by item)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return expected == actual


def test_library_has_the_required_templates_default_first():
    slugs = [template.slug for template in all_templates()]
    assert len(slugs) >= 12
    assert len(set(slugs)) == len(slugs)
    assert REQUIRED_SLUGS <= set(slugs)
    assert slugs[0] == "default"
    names = [template.name for template in all_templates()]
    assert len(set(names)) == len(names)


def test_get_template_by_slug_and_unknown_slug_names_the_known_ones():
    assert get_template("stripe").name == "Stripe"
    with pytest.raises(KeyError, match="No function template 'nope'.*stripe"):
        get_template("nope")


@pytest.mark.parametrize("template", all_templates(), ids=lambda t: t.slug)
def test_template_is_well_formed(template: Template):
    assert template.name and template.description
    assert "async function onRequest(request, settings)" in template.code
    # Samples run with the network blocked; templates must not depend on it.
    assert "fetch(" not in template.code
    assert template.samples, "every template needs at least one sample"
    sample_names = [sample["name"] for sample in template.samples]
    assert len(set(sample_names)) == len(sample_names)


@pytest.mark.parametrize("template", all_templates(), ids=lambda t: t.slug)
def test_setting_definitions_are_valid(template: Template):
    names = [setting["name"] for setting in template.settings]
    assert len(set(names)) == len(names)
    for setting in template.settings:
        assert set(setting) == {"name", "label", "description", "type", "required", "encrypted"}
        assert JS_IDENTIFIER.match(setting["name"]) and not keyword.iskeyword(setting["name"])
        assert setting["type"] in SETTING_TYPES
        assert isinstance(setting["required"], bool) and isinstance(setting["encrypted"], bool)
        assert setting["label"] and setting["description"]
    for sample in template.samples:
        assert set(sample["settings"]) <= set(names), f"{sample['name']}: undefined setting"


@pytest.mark.parametrize("template", all_templates(), ids=lambda t: t.slug)
def test_methods_and_answer_to_the_sender_are_declared_well(template: Template):
    assert "POST" in template.methods and set(template.methods) <= set(WEBHOOK_METHODS)
    assert isinstance(template.responds, bool)
    used = {sample["request"].get("method", "POST") for sample in template.samples}
    assert used <= set(template.methods), f"samples use methods it does not accept: {used}"
    answered = [s for s in template.samples if s["expect"].get("response")]
    # A template that responds shows its handshake; one that does not, answers nothing.
    assert bool(answered) == template.responds


def test_some_sample_shows_an_unsupported_event():
    errors = {sample["expect"]["error"] for t in all_templates() for sample in t.samples}
    assert "EventNotSupported" in errors


@pytest.mark.parametrize(("template", "sample"), _samples())
def test_sample_runs_with_the_expected_result(template: Template, sample: dict):
    expect = sample["expect"]

    result = runner.run(template.code, sample["request"], sample["settings"])

    error_name = result.error["name"] if result.error else None
    assert error_name == expect["error"], result.error
    assert _matches(expect["events"], result.events), result.events
    objects = [{"collection": o["collection"], "id": o["id"]} for o in result.objects]
    assert objects == expect["objects"]
    if "response" in expect:
        assert_response(expect["response"], result.response)


def assert_response(expected, actual) -> None:
    """The response for the sender: null for none, else the fields given must match."""
    if expected is None:
        assert actual is None, actual
    else:
        assert actual is not None and _matches(expected, actual), actual


def test_zooms_url_validation_answers_as_zooms_own_example():
    # developers.zoom.us/docs/api/webhooks, "Validate your webhook endpoint": the
    # plainToken qgg8vlvZRS6UYooatFL8Aw is answered with this encryptedToken.
    zoom = get_template("zoom")
    sample = next(s for s in zoom.samples if s["name"].startswith("endpoint.url_validation"))
    result = runner.run(zoom.code, sample["request"], sample["settings"])
    assert result.error is None, result.error
    assert json.loads(result.response["body"]) == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "23a89b634c017e5364a1c8d9c8ea909b60dd5599e2bb04bb1558d9c3a121faa5",
    }
