# ruff: noqa: E501  (JavaScript sources read better unwrapped)
"""A syntax error is reported at the user's own line and column, even a stray `}` that
would close the runner's wrapper; `runner.compile_error` says so without running
anything, as a run would."""

import json
import time

from runner import compile_error, run

from .conftest import run_cli

REQ = {"body": {}}

STRAY_BRACE = """function helper() {
  return 1;
}
}
async function onRequest(request) {
  Segment.track({ userId: 'u', event: 'e' });
}
"""
AT_LINE_4 = {
    "name": "SyntaxError",
    "message": "Unexpected token '}'",
    "line": 4,
    "column": 1,
    "stack": "SyntaxError: Unexpected token '}'\n    at function.js:4:1",
}


def test_a_stray_brace_is_reported_where_it_is():
    assert run(STRAY_BRACE, REQ).error == AT_LINE_4
    assert compile_error(STRAY_BRACE) == AT_LINE_4


def test_a_stray_brace_after_a_loop_is_too():
    code = "async function onRequest() {\n  for (const x of [1]) {\n    console.log(x);\n  }}\n  }\n}\n"
    error = compile_error(code)
    assert (error["message"], error["line"], error["column"]) == ("Unexpected token '}'", 5, 3)
    assert run(code, REQ).error == error


def test_the_column_is_the_users_on_a_line_with_code_before_it():
    code = "async function onRequest() {\n  const a = 1; const b = ;\n}"
    error = compile_error(code)
    assert (error["message"], error["line"], error["column"]) == ("Unexpected token ';'", 2, 26)


def test_a_block_left_open_points_at_the_end_of_the_code():
    code = "async function onRequest() {\n  if (x) {\n    Segment.track({});\n\n"
    error = compile_error(code)
    assert (error["message"], error["line"], error["column"]) == ("Unexpected end of input", 3, 23)


def test_code_that_compiles_has_no_error_and_nothing_of_it_runs():
    started = time.monotonic()
    assert compile_error("while (true) {}\nasync function onRequest() {}") is None
    assert time.monotonic() - started < 10
    assert (
        compile_error("exports.processEvents = async () => ({ events: [] })", legacy=True) is None
    )
    assert compile_error("return;\nasync function onRequest() {}") is None  # as in a Node module


def test_the_legacy_interface_is_located_the_same_way():
    code = "exports.processEvents = async (event) => {\n  return { events: [] };\n}}\n"
    error = compile_error(code, legacy=True)
    assert (error["line"], error["column"]) == (3, 2)


def test_a_strict_mode_error_is_located_by_the_compiled_code():
    code = "'use strict';\nasync function onRequest() {\n  var n = 010;\n}"
    error = compile_error(code)
    assert error["name"] == "SyntaxError" and error["line"] == 3
    assert "Octal" in error["message"]


def test_the_cli_reports_it_at_its_line(tmp_path):
    proc = run_cli(tmp_path, STRAY_BRACE)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"] == AT_LINE_4
