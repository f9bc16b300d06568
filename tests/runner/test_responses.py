# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""What onRequest returns for the webhook's sender: a Response or a plain object becomes
`result.response`; anything else is the usual answer with a warning; past a limit the
execution fails with OutputLimitError."""

import json

import pytest

from runner import Invocation, normalize_request
from runner.limits import RESPONSE_BODY_BYTES

from .conftest import run_cli

GET = {"method": "GET", "url": "https://example.com/hook?hub.challenge=1158201444"}


def returning(pool, expression: str, request=None):
    code = f"async function onRequest(request, settings) {{\n  Segment.track({{ event: 'Seen', userId: 'u1' }});\n  return {expression};\n}}"
    return pool.run("responses", code, request or GET, {})


def warnings(result) -> list[str]:
    return [log["message"] for log in result.logs if log["level"] == "warn"]


def test_a_response_is_the_senders_answer(pool):
    result = returning(
        pool,
        "new Response(request.url.searchParams.get('hub.challenge'), { status: 200, headers: { 'Content-Type': 'text/plain' } })",
    )
    assert result.error is None
    assert result.response == {
        "status": 200,
        "headers": {"content-type": "text/plain"},
        "body": "1158201444",
    }
    assert [e["event"] for e in result.events] == ["Seen"]  # and the events are kept
    assert warnings(result) == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (
            "Response.json({ plainToken: 'abc' })",
            {
                "status": 200,
                "headers": {"content-type": "application/json"},
                "body": '{"plainToken":"abc"}',
            },
        ),
        ("new Response(null, { status: 204 })", {"status": 204, "headers": {}, "body": ""}),
        (
            "new Response(new TextEncoder().encode('bytes ✓'), { status: 202 })",
            {"status": 202, "headers": {}, "body": "bytes ✓"},
        ),
        (
            "{ status: 200, body: 'ok' }",
            {"status": 200, "headers": {"content-type": "text/plain; charset=utf-8"}, "body": "ok"},
        ),
        (
            "{ status: 201, body: { challenge: 'c' } }",
            {
                "status": 201,
                "headers": {"content-type": "application/json"},
                "body": '{"challenge":"c"}',
            },
        ),
        (
            "{ body: '<Response/>', headers: { 'Content-Type': 'text/xml' } }",
            {"status": 200, "headers": {"content-type": "text/xml"}, "body": "<Response/>"},
        ),
        (
            "{ status: 429, headers: [['Retry-After', '30'], ['X-Hook-Secret', 's']] }",
            {"status": 429, "headers": {"retry-after": "30", "x-hook-secret": "s"}, "body": ""},
        ),
    ],
)
def test_the_forms_of_a_response(pool, expression, expected):
    result = returning(pool, expression)
    assert result.error is None, result.error
    assert result.response == expected


def test_returning_nothing_is_the_usual_answer_without_a_warning(pool):
    for expression in ("undefined", "null"):
        result = returning(pool, expression)
        assert result.response is None and result.logs == [] and result.error is None


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("42", "a number (42)"),
        ("'ok'", 'a string ("ok")'),
        ("[1, 2]", "an array of 2 items"),
        ("{ ok: true, data: 1 }", "an object with the keys ok, data"),
        ("{ status: 'ok', body: 'x' }", 'an object whose status is "ok" (a string)'),
        ("{ status: 200.5 }", "an object whose status is 200.5 (not a whole number)"),
        ("new Response('x', { status: '200' })", 'a Response whose status is "200" (a string)'),
        ("new Map()", "an instance of Map"),
    ],
)
def test_what_is_not_a_response_gets_a_warning_naming_it(pool, expression, named):
    result = returning(pool, expression)
    assert result.error is None and result.response is None
    [warning] = warnings(result)
    assert warning.startswith(f"onRequest returned {named}, which is not a response")
    assert "the sender gets the usual answer" in warning
    assert [e["event"] for e in result.events] == ["Seen"]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("{ status: 100 }", "status must be from 200 to 599, not 100"),
        ("new Response('x', { status: 600 })", "status must be from 200 to 599, not 600"),
        (
            "new Response('x', { headers: { 'Set-Cookie': 'session=1' } })",
            "'set-cookie', which a function may not send",
        ),
        ("{ status: 200, headers: { Connection: 'close' } }", "'connection'"),
        ("{ status: 200, headers: { 'Transfer-Encoding': 'chunked' } }", "'transfer-encoding'"),
        ("{ status: 302, headers: { Location: 'https://elsewhere.example' } }", "'location'"),
        ("{ status: 200, headers: { 'X-Accel-Redirect': '/internal' } }", "'x-accel-redirect'"),
        (
            "{ status: 200, headers: { 'Content-Security-Policy': 'none' } }",
            "'content-security-policy'",
        ),
        ("{ status: 200, body: 'x'.repeat(70000) }", "body is over 64 KB"),
        ("new Response(new Uint8Array(70000))", "body is over 64 KB"),
        (
            "{ status: 200, headers: Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['X-H' + i, 'v'])) }",
            "at most 32",
        ),
    ],
)
def test_a_response_past_a_limit_fails_the_execution(pool, expression, says):
    result = returning(pool, expression)
    assert result.error["name"] == "OutputLimitError", result.error
    assert says in result.error["message"]
    assert result.response is None and result.events == []  # nothing is sent


def test_the_body_limit_counts_utf8_bytes(pool):
    fits = returning(pool, f"{{ status: 200, body: 'é'.repeat({RESPONSE_BODY_BYTES // 2}) }}")
    assert fits.error is None and len(fits.response["body"]) == RESPONSE_BODY_BYTES // 2
    over = returning(pool, f"{{ status: 200, body: 'é'.repeat({RESPONSE_BODY_BYTES // 2 + 1}) }}")
    assert over.error["name"] == "OutputLimitError"


def test_a_failed_run_has_no_response(pool):
    code = "async function onRequest() { throw new RetryError('later'); return new Response('never'); }"
    result = pool.run("responses-fail", code, GET, {})
    assert result.error["name"] == "RetryError" and result.response is None


def test_a_getter_that_throws_fails_its_own_execution(pool):
    code = "async function onRequest() { return { get status() { throw new TypeError('no status'); } }; }"
    result = pool.run("responses-getter", code, GET, {})
    assert result.error["name"] == "TypeError" and "no status" in result.error["message"]


def test_an_illegal_header_is_a_type_error_of_the_function(pool):
    result = returning(pool, "{ status: 200, headers: { 'X-Bad': 'line\\nbreak' } }")
    assert (
        result.error["name"] == "TypeError"
        and "not a legal HTTP header value" in result.error["message"]
    )


def test_legacy_functions_return_their_events_not_a_response(pool):
    code = "exports.processEvents = async (event) => ({ events: [{ type: 'track', event: 'E', userId: 'u' }] });"
    result = pool.run("responses-legacy", code, {"payload": {"body": {}}}, {}, legacy=True)
    assert result.error is None and result.response is None and result.logs == []


def test_each_execution_of_a_batch_has_its_own_response(pool):
    code = "async function onRequest(request) { const n = request.json().n; return n % 2 ? new Response(`odd ${n}`) : undefined; }"
    invocations = [Invocation(normalize_request({"body": {"n": n}}), {}, str(n)) for n in range(4)]
    results = pool.run_batch("responses-batch", code, invocations)
    assert [r.response and r.response["body"] for r in results] == [None, "odd 1", None, "odd 3"]


def test_the_cli_prints_the_response_of_a_get(tmp_path):
    code = (
        "async function onRequest(request) {\n"
        "  if (request.method !== 'GET' || request.text() !== '') throw new Error('not a GET');\n"
        "  return new Response(request.url.searchParams.get('hub.challenge'));\n}"
    )
    done = run_cli(tmp_path, code, request=json.dumps(GET))
    assert done.returncode == 0, done.stdout + done.stderr
    printed = json.loads(done.stdout)
    assert printed["response"]["body"] == "1158201444" and printed["response"]["status"] == 200
