# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A body that is not UTF-8 reaches the runner as bytes: counted once against the body
limit, as it arrived, and read by the function as Node's Buffer.toString('utf8') reads
it (each invalid sequence becomes U+FFFD)."""

import pytest

from runner import MAX_BODY_BYTES, Invocation, RequestFormatError, normalize_request, run

TEXT = "async function onRequest(request) { Segment.track({ userId: 'u', event: 'e', properties: { text: request.text(), length: request.text().length } }) }"
# Each with what Buffer.from(bytes).toString('utf8') gives in Node 20.
DECODED = {
    b"caf\xc3\xa9": "café",
    b"\xff\xfe": "\ufffd\ufffd",
    b"\xe2\x82": "\ufffd",  # a sequence cut short is one replacement
    b"\xe2\x82\xac\xf0\x9f\x98": "€\ufffd",
    b"\xed\xa0\x80": "\ufffd\ufffd\ufffd",  # an encoded surrogate is three
    b"\xc0\xaf": "\ufffd\ufffd",  # an overlong form is two
    b"a\x80b": "a\ufffdb",
}


def binary(body: bytes, **extra) -> dict:
    return {
        "method": "POST",
        "url": "https://example.com/hook",
        "headers": {},
        "rawBody": body,
        **extra,
    }


def test_a_binary_body_is_counted_once_as_it_arrived():
    body = b"\xff" * (1024 * 1024 + 100 * 1024)  # 1.1 MB; 2.2 MB once re-encoded as text
    request = normalize_request(binary(body))
    assert request["raw_body"] == body
    code = "async function onRequest(request) { const text = request.text(); Segment.track({ userId: 'u', event: 'e', properties: { length: text.length, replaced: text.split('\\ufffd').length - 1 } }) }"
    result = run(code, request)
    assert result.error is None, result.error
    assert result.events[0]["properties"] == {"length": len(body), "replaced": len(body)}


def test_the_body_limit_counts_bytes():
    assert normalize_request(binary(b"\xff" * MAX_BODY_BYTES))["raw_body"]
    with pytest.raises(RequestFormatError, match="limit is 2 MB"):
        normalize_request(binary(b"\xff" * (MAX_BODY_BYTES + 1)))


@pytest.mark.parametrize("isolation", ["process", "inline"])
def test_text_of_a_body_that_is_not_utf8_is_read_as_node_reads_it(isolation):
    from runner import IsolatePool

    pool = IsolatePool(isolation=isolation)
    try:
        invocations = [Invocation(normalize_request(binary(raw))) for raw in DECODED]
        results = pool.run_batch("binary", TEXT, invocations)
    finally:
        pool.close()
    assert [r.events[0]["properties"]["text"] for r in results] == list(DECODED.values())


def test_json_of_a_utf8_body_given_as_bytes():
    code = "async function onRequest(request) { Segment.track({ userId: request.json().user, event: 'e' }) }"
    result = run(code, binary('{"user": "zoë"}'.encode()))
    assert result.error is None, result.error
    assert result.events[0]["userId"] == "zoë"


def test_json_of_a_binary_body_is_a_syntax_error():
    result = run(
        "async function onRequest(request) { request.json() }", binary(b"\x89PNG\r\n\x1a\n")
    )
    assert result.error["name"] == "SyntaxError"


def test_a_legacy_function_gets_the_same_text():
    code = "exports.processEvents = async (event) => ({ events: [{ type: 'track', userId: 'u', event: 'e', properties: { body: event.payload.body } }] })"
    result = run(code, binary(b"a=1&b=\xff"), legacy=True)
    assert result.error is None, result.error
    assert result.events[0]["properties"]["body"] == "a=1&b=\ufffd"


def test_normalising_a_binary_request_twice_gives_the_same_request():
    once = normalize_request(binary(bytearray(b"\x00\xff")))
    assert once["raw_body"] == b"\x00\xff"
    assert normalize_request(once) == once
