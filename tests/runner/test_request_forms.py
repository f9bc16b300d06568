# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
import pytest

from runner import RequestFormatError, normalize_request, run

from .conftest import sample


def test_project_form_with_json_body():
    request = normalize_request(
        {"url": "https://x.test/h?a=1", "headers": {"X-A": ["1", "2"]}, "body": {"a": 1}}
    )
    assert request == {
        "method": "POST",
        "url": "https://x.test/h?a=1",
        "headers": [["X-A", "1, 2"]],
        "raw_body": '{"a": 1}',
    }


def test_project_form_with_raw_body():
    assert normalize_request({"method": "put", "rawBody": "a=1"})["raw_body"] == "a=1"


def test_sample_form_with_query_parameters():
    request = normalize_request(sample("github_push"))
    assert request["method"] == "POST"
    assert ["X-GitHub-Event", "push"] in request["headers"]
    assert normalize_request(sample("typeform_form_response"))["url"].endswith("?source=typeform")


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"body": {}, "rawBody": "x"},
        {"rawBody": 3},
        {"url": "ftp://x"},
        {"headers": []},
        {"payload": "x"},
        {"headers": {"a": {"b": 1}}},
        {"rawBody": "x" * (2 * 1024 * 1024 + 1)},
    ],
)
def test_bad_requests_are_refused_clearly(bad):
    with pytest.raises(RequestFormatError):
        normalize_request(bad)


def test_request_object_in_the_function():
    code = """
    async function onRequest(request) {
      Segment.track({ userId: request.headers.get('TYPEFORM-SIGNATURE'), event: request.method,
        properties: { q: request.url.searchParams.get('source'), has: request.headers.has('content-type'),
                      text: typeof request.text(), keys: [...request.headers.keys()] } });
    }"""
    result = run(code, sample("typeform_form_response"))
    assert result.error is None
    event = result.events[0]
    assert event["event"] == "POST"
    assert event["properties"]["q"] == "typeform"
    assert event["properties"]["keys"] == ["content-type", "typeform-signature"]


def test_invalid_json_body_throws_syntax_error():
    result = run("async function onRequest(r) { r.json() }", {"rawBody": "not json"})
    assert result.error["name"] == "SyntaxError"


@pytest.mark.parametrize(
    "request_form",
    [
        {"url": "https://x.test/h?a=1", "headers": {"X-A": ["1", "2"]}, "body": {"a": 1}},
        {"method": "put", "rawBody": "a=1&b=2", "headers": {"Content-Length": 7}},
        {"payload": {"body": {"a": 1}, "headers": {"X": ["a", "b"]}, "queryParams": {"q": "1"}}},
        {"payload": {"body": "raw text", "headers": {}}},
    ],
)
def test_normalizing_twice_gives_the_same_request(request_form):
    once = normalize_request(request_form)
    assert normalize_request(once) == once
    assert normalize_request(normalize_request(once)) == once


def test_a_lookalike_of_the_normalised_form_is_refused():
    with pytest.raises(RequestFormatError, match="raw_body"):
        normalize_request(
            {"method": "POST", "url": "https://x.test/", "headers": {}, "raw_body": "x"}
        )
