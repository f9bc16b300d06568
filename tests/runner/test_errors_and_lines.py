# ruff: noqa: E501  (JavaScript sources and payloads read better unwrapped)
from runner import run

REQ = {"body": {}}


def test_runtime_error_line_and_column():
    code = "// comment\nasync function onRequest(request) {\n  const a = 1;\n  return a.b.c;\n}\n"
    error = run(code, REQ).error
    assert error["name"] == "TypeError"
    assert (error["line"], error["column"]) == (4, 14)
    assert "function.js:4:14" in error["stack"] and "runner-internal/prelude" not in error["stack"]


def test_syntax_error_line_and_column():
    error = run("async function onRequest() {\n  let x = ;\n}", REQ).error
    assert error == {
        "name": "SyntaxError",
        "message": "Unexpected token ';'",
        "line": 2,
        "column": 11,
        "stack": "SyntaxError: Unexpected token ';'\n    at function.js:2:11",
    }


def test_unclosed_block_points_inside_the_code():
    error = run("async function onRequest() {\n  if (true) {\n", REQ).error
    assert error["name"] == "SyntaxError" and error["line"] <= 3


def test_reference_error_and_thrown_strings():
    assert run("async function onRequest() {\n nope() }", REQ).error["name"] == "ReferenceError"
    error = run("async function onRequest() { throw 'plain' }", REQ).error
    assert (error["name"], error["message"]) == ("Error", "plain")


def test_error_in_a_helper_points_at_the_helper():
    code = "function helper() {\n  throw new InvalidEventPayload('bad');\n}\nasync function onRequest() { helper() }"
    error = run(code, REQ).error
    assert error["name"] == "InvalidEventPayload" and error["line"] == 2
    assert "at helper (function.js:2:9)" in error["stack"]


def test_missing_on_request():
    error = run("function handler() {}", REQ).error
    assert error["name"] == "ReferenceError" and "onRequest is not defined" in error["message"]


def test_sync_function_works():
    result = run("function onRequest() { Segment.track({ userId: 'u', event: 'sync' }) }", REQ)
    assert result.error is None and result.events[0]["event"] == "sync"
