"""The function templates library: well-formed templates whose samples really work.

Every sample request of every template runs through the real runner and must produce the
events, objects or error its template.json expects (Zulip-style fixture replay).
"""

import keyword
import re

import pytest

import runner
from catalog.function_templates import Template, all_templates, get_template

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
