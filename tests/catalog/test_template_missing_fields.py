"""Every template copes with webhooks that lack fields its samples have: senders leave
out what is optional (Stripe's `created` in a hand-written test, a charge without a
customer, an order without discount codes), so no field a sample has may make the
function crash.

Each sample's body is replayed once per field it holds (nested ones too), with that
field removed and the template's optional settings left out (so a signature over the
changed body is not checked; Zoom's, which is required, is made again). The function
must then either succeed or refuse with one of its verdicts on the payload
(ValidationError, InvalidEventPayload, EventNotSupported), never fail with a
TypeError or RangeError; what it emits holds no "Invalid Date", "NaN" or "undefined"
and only timestamps that are real dates.
"""

import copy
import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

import pytest

import runner
from catalog.function_templates import Template, all_templates

VERDICTS = {None, "ValidationError", "InvalidEventPayload", "EventNotSupported"}
BROKEN_TEXT = ("Invalid Date", "NaN", "undefined")


@pytest.fixture(scope="module")
def pool():
    pool = runner.IsolatePool(isolation="inline")
    yield pool
    pool.close()


def field_paths(node, prefix=()):
    """Every key of the body, nested ones included, as a path of keys and indexes."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from field_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from field_paths(value, (*prefix, index))


def without(body, path):
    body = copy.deepcopy(body)
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return body


def parsed_body(request: dict) -> tuple[str, object]:
    """The body of a sample request and how it is written: body, JSON text or a form."""
    if "body" in request:
        return "body", request["body"]
    text = request.get("rawBody") or ""
    try:
        return "json", json.loads(text)
    except ValueError:
        return "form", dict(parse_qsl(text, keep_blank_values=True))


def request_with(request: dict, kind: str, body) -> dict:
    changed = {key: value for key, value in request.items() if key not in ("body", "rawBody")}
    if kind == "body":
        changed["body"] = body
    else:
        changed["rawBody"] = json.dumps(body) if kind == "json" else urlencode(body)
    return changed


def sign_zoom(request: dict, settings: dict) -> dict:
    """x-zm-signature over the changed body (Zoom's secret token is required)."""
    headers = dict(request["headers"])
    stamp = headers["x-zm-request-timestamp"]
    message = f"v0:{stamp}:{request['rawBody']}".encode()
    digest = hmac.new(settings["secretToken"].encode(), message, hashlib.sha256).hexdigest()
    return {**request, "headers": {**headers, "x-zm-signature": f"v0={digest}"}}


SIGNERS = {"zoom": sign_zoom}


def required_settings(template: Template, sample: dict) -> dict:
    required = {d["name"] for d in template.settings if d["required"]}
    return {name: value for name, value in sample["settings"].items() if name in required}


def _samples():
    return [
        pytest.param(template, sample, id=f"{template.slug}/{sample['name']}")
        for template in all_templates()
        for sample in template.samples
    ]


@pytest.mark.parametrize(("template", "sample"), _samples())
def test_the_sample_without_any_one_of_its_fields_does_not_crash(pool, template, sample):
    kind, body = parsed_body(sample["request"])
    settings = required_settings(template, sample)
    sign = SIGNERS.get(template.slug, lambda request, settings: request)
    cases = [
        (path, sign(request_with(sample["request"], kind, without(body, path)), settings))
        for path in field_paths(body)
    ]
    invocations = [runner.Invocation(runner.normalize_request(r), settings) for _, r in cases]
    results = pool.run_batch(template.slug, template.code, invocations)

    problems = [
        f"without {'.'.join(map(str, path))}: {problem}"
        for (path, _), result in zip(cases, results, strict=True)
        for problem in output_problems(result)
    ]
    assert not problems, "\n".join(problems)


def output_problems(result) -> list[str]:
    if result.error and result.error["name"] not in VERDICTS:
        error = result.error
        return [f"{error['name']}: {error['message']} ({error.get('stack', '')[:120]})"]
    problems = []
    for message in [*result.events, *result.objects]:
        text = json.dumps(message)
        problems += [f"emits {word!r}: {text[:200]}" for word in BROKEN_TEXT if word in text]
        stamp = message.get("timestamp")
        if stamp is not None and not is_iso_time(stamp):
            problems.append(f"timestamp {stamp!r} is not a date")
    return problems


def is_iso_time(value) -> bool:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def test_a_stripe_charge_without_created_is_tracked_now(pool):
    from catalog.function_templates import get_template

    stripe = get_template("stripe")
    charge = {"id": "evt_1", "type": "charge.succeeded",
              "data": {"object": {"id": "ch_1", "amount": 2000, "currency": "usd",
                                  "customer": "cus_1"}}}  # fmt: skip
    request = runner.normalize_request({"body": charge})
    [result] = pool.run_batch("stripe", stripe.code, [runner.Invocation(request, {})])

    assert result.error is None, result.error
    [event] = result.events
    assert event["event"] == "Charge Succeeded" and event["userId"] == "cus_1"
    assert event["properties"]["amount"] == 20
    assert is_iso_time(event["timestamp"])
