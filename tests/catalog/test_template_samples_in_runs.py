"""Every sample of every template passes in the API's Run (`functions/<id>/test/`, a real
worker on the interactive queue) and in the editor's, which sends the sample as its
manual input makes it: the headers as typed lines, the query in its own field, a JSON
body pretty-printed (so signed samples carry `rawBody`). A function made from a template
takes its methods and its answer to the sender."""

import json
from urllib.parse import urlsplit

import pytest

from catalog.function_templates import all_templates, get_template
from tests.catalog.helpers import API, create_function
from tests.catalog.test_function_templates import _matches, assert_response

pytestmark = pytest.mark.django_db


def as_the_editor_sends(request: dict) -> dict:
    """What frontend/src/editor.js (fillManualInput, then buildRequest) sends for it."""
    url = urlsplit(request.get("url") or "https://example.com/webhook")
    headers = {}
    for name, value in (request.get("headers") or {}).items():
        text = ", ".join(value) if isinstance(value, list) else str(value)
        headers[name.strip()] = text.strip()
    if "body" in request:
        body = json.dumps(request["body"], indent=2, ensure_ascii=False)
    else:
        body = request.get("rawBody") or ""
    return {
        "method": request.get("method") or "POST",
        "url": f"{url.scheme}://{url.netloc}{url.path}" + (f"?{url.query}" if url.query else ""),
        "headers": headers,
        "rawBody": body,
    }


def _samples():
    return [
        pytest.param(template.slug, index, id=f"{template.slug}/{sample['name']}")
        for template in all_templates()
        for index, sample in enumerate(template.samples)
    ]


@pytest.mark.parametrize(("slug", "index"), _samples())
def test_the_sample_passes_in_the_apis_run_and_the_editors(owner_api, celery_worker, slug, index):
    template = get_template(slug)
    sample = template.samples[index]
    function = create_function(owner_api, name=template.name, template=slug)
    for request in (sample["request"], as_the_editor_sends(sample["request"])):
        response = owner_api.post(
            f"{API}/functions/{function['id']}/test/",
            {"request": request, "settings": sample["settings"]},
            format="json",
        )
        assert response.status_code == 200, response.json()
        result, expect = response.json(), sample["expect"]
        assert (result["error"] or {}).get("name") == expect["error"], result["error"]
        assert _matches(expect["events"], result["events"]), result["events"]
        if "response" in expect:
            assert_response(expect["response"], result["response"])


def test_a_function_from_a_template_takes_its_methods_and_answer(owner_api):
    whatsapp = create_function(owner_api, name="WhatsApp", template="whatsapp")
    assert (whatsapp["methods"], whatsapp["responds"]) == (["POST", "GET"], True)
    stripe = create_function(owner_api, name="Stripe", template="stripe")
    assert (stripe["methods"], stripe["responds"]) == (["POST"], False)
    chosen = create_function(owner_api, name="Own", template="whatsapp", responds=False)
    assert chosen["responds"] is False and chosen["methods"] == ["POST", "GET"]
