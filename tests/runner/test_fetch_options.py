# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""Odd fetch options fail their own call, as a TypeError the function can catch (or
are read as node-fetch reads them); never the batch the call was made in."""

import pytest

from runner import Invocation, normalize_request

# A private address: the network guard refuses it before connecting, so no traffic.
REFUSED = "http://10.0.0.1/"

BAD_OPTIONS = {
    "timeout: 'abc'": ("{ timeout: 'abc' }", "timeout must be a number"),
    "timeout: -1": ("{ timeout: -1 }", "timeout must be a number"),
    "timeout: {}": ("{ timeout: {} }", "timeout must be a number"),
    "size: 'abc'": ("{ size: 'abc' }", "size must be a number"),
    "size: Infinity": ("{ size: Infinity }", "size must be a number"),
    "follow: 'x'": ("{ follow: 'x' }", "follow must be a number"),
    "method with a space": ("{ method: 'GET X' }", 'Method must be a valid HTTP token ["GET X"]'),
    "a header value with a newline": (
        "{ headers: { 'X-A': 'a\\nb' } }",
        "is not a legal HTTP header value",
    ),
    "a header value beyond Latin-1": (
        "{ headers: { 'X-A': '€' } }",
        "€ is not a legal HTTP header value",
    ),
    "a header name with a space": (
        "{ headers: { 'X A': 'a' } }",
        "X A is not a legal HTTP header name",
    ),
    "redirect: 'sometimes'": ("{ redirect: 'sometimes' }", "redirect must be one of"),
    "a body on GET": ("{ body: 'x' }", "Request with GET/HEAD method cannot have body"),
}


def outcome(options: str) -> str:
    return f"""async function onRequest(request) {{
      console.log('before');
      try {{ await fetch('{REFUSED}', {options}); return; }}
      catch (e) {{ Segment.track({{ userId: 'u', event: 'caught', properties: {{ name: e.name, message: e.message }} }}); }}
    }}"""


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_a_bad_option_is_a_type_error_the_function_catches(pool, case):
    options, message = BAD_OPTIONS[case]
    result = pool.run("bad-option", outcome(options), {"body": {}})
    assert result.error is None, result.error
    caught = result.events[0]["properties"]
    assert caught["name"] == "TypeError"
    assert message in caught["message"]
    assert result.fetches == []  # refused before any request was made


@pytest.mark.parametrize(
    "options",
    ["{ timeout: '5000' }", "{ timeout: null, size: '1000' }", "{ size: 0, follow: '3' }",
     "{ headers: { 'X-N': 5, 'X-O': {} } }", "{ headers: [['X-A', 'é']] }",
     "{ method: 'post', body: 5 }", "{ method: 'POST', body: { a: 1 } }",
     "{ method: 'POST', body: new Uint16Array([1, 2]) }", "{ method: 'POST', body: 'lone \\ud800' }",
     "null", "'not options'"],
)  # fmt: skip
def test_options_node_fetch_accepts_reach_the_network_guard(pool, options):
    result = pool.run("good-option", outcome(options), {"body": {}})
    assert result.error is None, result.error
    caught = result.events[0]["properties"]
    assert caught["name"] == "FetchError", caught
    assert "refusing to connect to 10.0.0.1" in caught["message"]
    assert [f["url"] for f in result.fetches] == [REFUSED]


def test_an_odd_option_in_a_batch_fails_only_its_own_call(pool):
    """{timeout: '5000'} used to raise a TypeError in the runner's Python: every event of
    the batch failed and the culprit's logs were lost."""
    code = """async function onRequest(request) {
      const n = request.json().n;
      console.log('run ' + n);
      if (n === 1) { try { await fetch('http://10.0.0.1/', { timeout: '5000', follow: null, size: 'abc' }); } catch (e) { console.log(e.name + ': ' + e.message); } }
      if (n === 2) { await fetch('http://10.0.0.1/', { timeout: '5000' }).catch((e) => console.log(e.name)); }
      Segment.track({ userId: 'u' + n, event: 'ok' });
    }"""
    invocations = [Invocation(normalize_request({"body": {"n": n}}), {}, f"e{n}") for n in range(4)]
    results = pool.run_batch("odd-options", code, invocations)
    assert [r.error for r in results] == [None] * 4
    assert [r.events[0]["userId"] for r in results] == ["u0", "u1", "u2", "u3"]
    assert results[1].logs == [
        {"level": "log", "message": "run 1"},
        {"level": "log", "message": "TypeError: size must be a number"},
    ]
    assert results[2].logs[1] == {"level": "log", "message": "FetchError"}


def test_follow_null_stops_at_the_first_redirect(private_pool, local_server):
    code = f"""async function onRequest() {{
      let message = null;
      try {{ await fetch('{local_server}/redirect', {{ follow: null }}); }} catch (e) {{ message = e.message; }}
      Segment.track({{ userId: 'u', event: 'e', properties: {{ message }} }});
    }}"""
    result = private_pool.run("follow-null", code, {"body": {}}, timeout_ms=3000)
    assert result.error is None, result.error
    assert "maximum redirect reached" in result.events[0]["properties"]["message"]


def test_a_numeric_string_timeout_is_a_timeout(private_pool, local_server):
    code = f"""async function onRequest() {{
      const res = await fetch('{local_server}/json', {{ timeout: '5000', size: '100' }});
      Segment.track({{ userId: 'u', event: 'e', properties: await res.json() }});
    }}"""
    result = private_pool.run("string-timeout", code, {"body": {}}, timeout_ms=3000)
    assert result.error is None, result.error
    assert result.events[0]["properties"] == {"ok": True, "n": 1}
