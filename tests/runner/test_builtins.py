# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
"""Every built-in a Segment function may use, checked against Node's answers."""

import base64
import hashlib
import hmac

import pytest

from runner import run


def value_of(expression: str):
    """Evaluate an expression inside a function and return it through an event."""
    code = f"async function onRequest() {{ const v = await ({expression}); Segment.track({{ userId: 'u', event: 'e', properties: {{ v }} }}) }}"
    result = run(code, {"body": {}})
    assert result.error is None, result.error
    return result.events[0]["properties"]["v"]


def test_lodash_and_xml():
    assert value_of("_.groupBy([1.2, 1.4, 2.1], Math.floor)") == {"1": [1.2, 1.4], "2": [2.1]}
    assert value_of("_.get({ a: [{ b: 3 }] }, 'a[0].b')") == 3
    assert (
        value_of("xml([{ root: [{ _attr: { id: 1 } }, { item: 'a&b' }] }])")
        == '<root id="1"><item>a&amp;b</item></root>'
    )


def test_atob_btoa_and_text_encoding():
    assert value_of("btoa('hello')") == "aGVsbG8="
    assert value_of("atob('aGVsbG8=')") == "hello"
    assert value_of("Array.from(new TextEncoder().encode('é€'))") == list("é€".encode())
    assert value_of("new TextDecoder().decode(new TextEncoder().encode('héllo 😀'))") == "héllo 😀"


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_crypto_hashes_and_hmacs(algorithm):
    assert (
        value_of(f"crypto.createHash('{algorithm}').update('ab').update('c').digest('hex')")
        == hashlib.new(algorithm, b"abc").hexdigest()
    )
    expected = base64.b64encode(hmac.new(b"key", b"body", algorithm).digest()).decode()
    assert (
        value_of(f"crypto.createHmac('{algorithm}', 'key').update('body').digest('base64')")
        == expected
    )


def test_crypto_random_and_timing_safe_equal():
    uuid = value_of("crypto.randomUUID()")
    assert len(uuid) == 36 and uuid[14] == "4"
    assert value_of("crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc'))") is True
    assert value_of("crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd'))") is False
    assert (
        value_of(
            "(() => { try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')) } catch (e) { return e.name } })()"
        )
        == "RangeError"
    )
    assert value_of("crypto.randomBytes(8).length") == 8


def test_buffer_encodings():
    assert value_of("Buffer.from('hello').toString('base64')") == "aGVsbG8="
    assert value_of("Buffer.from('68656c6c6f', 'hex').toString('utf8')") == "hello"
    assert value_of("Buffer.from('aGVsbG8=', 'base64').toString('hex')") == "68656c6c6f"


def test_url_and_search_params():
    assert value_of("new URL('https://a.test/p?x=1&y=2').searchParams.get('y')") == "2"
    assert value_of("new URLSearchParams({ a: '1 2', b: 'é' }).toString()") == "a=1+2&b=%C3%A9"
    assert (
        value_of("new URL('/x', 'https://Bücher.example').href")
        == "https://xn--bcher-kva.example/x"
    )


def test_timers():
    assert value_of("new Promise(r => setTimeout(() => r('later'), 20))") == "later"
    assert (
        value_of(
            "new Promise(r => { let n = 0; const i = setInterval(() => { if (++n === 3) { clearInterval(i); r(n) } }, 5) })"
        )
        == 3
    )
    assert (
        value_of(
            "new Promise(r => { const t = setTimeout(() => r('no'), 5); clearTimeout(t); setTimeout(() => r('yes'), 10) })"
        )
        == "yes"
    )


def test_form_data_builds_multipart():
    body = value_of(
        "(() => { const f = new FormData(); f.setBoundary('B'); f.append('a', '1'); f.append('file', Buffer.from('x'), { filename: 'x.txt', contentType: 'text/plain' }); return [f.getHeaders()['content-type'], f.getBuffer().toString()] })()"
    )
    assert body[0] == "multipart/form-data; boundary=B"
    assert body[1] == (
        '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        '--B\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n'
    )


def test_headers_request_response_classes():
    assert value_of(
        "(() => { const h = new Headers({ 'X-A': '1' }); h.append('x-a', '2'); return [h.get('X-A'), h.has('x-b')] })()"
    ) == ["1, 2", False]
    assert value_of("new Response('{\"a\":1}', { status: 201 }).json()") == {"a": 1}
    assert value_of("new Request('https://a.test', { method: 'post', body: 'x' }).method") == "POST"


def test_oauth_clients_exist_and_sign():
    assert (
        value_of(
            "typeof new OAuth.OAuth2('id', 'secret', 'https://a.test/', null, 'token').getOAuthAccessToken"
        )
        == "function"
    )
    header = value_of(
        "new OAuth.OAuth(null, null, 'ck', 'cs', '1.0A', null, 'HMAC-SHA1').authHeader('https://api.test/x', 't', 'ts', 'GET')"
    )
    assert header.startswith("OAuth ") and 'oauth_signature_method="HMAC-SHA1"' in header


def test_aws_is_a_clear_error():
    result = run("async function onRequest() { new AWS.S3() }", {"body": {}})
    assert (
        result.error["name"] == "Error"
        and "not available in this runtime" in result.error["message"]
    )


def test_console_levels_and_node_formatting():
    code = """async function onRequest() {
      console.log('a', 1, { b: [1, 2], c: 'x', d: { e: { f: { g: 1 } } } });
      console.info('%s=%d', 'n', 42); console.warn(null, undefined); console.error(new Error('boom')); console.debug([]);
    }"""
    logs = run(code, {"body": {}}).logs
    assert logs[0] == {
        "level": "log",
        "message": "a 1 { b: [ 1, 2 ], c: 'x', d: { e: { f: [Object] } } }",
    }
    assert logs[1] == {"level": "info", "message": "n=42"}
    assert logs[2] == {"level": "warn", "message": "null undefined"}
    assert logs[3]["level"] == "error" and logs[3]["message"].startswith("Error: boom")
    assert logs[4] == {"level": "debug", "message": "[]"}


def test_lazy_libraries_load_only_when_used(pool):
    code = "async function onRequest() { Segment.track({ userId: 'u', event: 'e', properties: { lodash: Object.getOwnPropertyDescriptor(globalThis, '_').get !== undefined } }) }"
    assert run(code, {"body": {}}).events[0]["properties"]["lodash"] is True
