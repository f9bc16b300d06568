"""A function written for Node (require, process.env) fails with a hint that says what
to write instead: the global for each module it requires, settings for process.env."""

import pytest

from runner.result import PROCESS_HINT, REQUIRE_HINT

REQUEST = {"body": {}}


def test_require_names_the_global_of_each_library_it_loads(pool):
    code = (
        "const _ = require('lodash');\n"
        'const moment = require("moment-timezone");\n'
        "const winston = require('winston');\n"
        "async function onRequest() {}\n"
    )
    result = pool.run("require", code, REQUEST)
    assert result.error["name"] == "ReferenceError"
    assert result.error["message"] == "require is not defined"  # Node's words, kept
    assert result.error["line"] == 1
    assert result.error["hint"] == (
        f"{REQUIRE_HINT} Delete the require() lines and use _ for 'lodash', moment for "
        "'moment-timezone', winstonlib.winston for 'winston'."
    )


@pytest.mark.parametrize(
    ("required", "said"),
    [
        (["axios"], "'axios' is not available: for an HTTP API, call it with fetch()."),
        (["aws-sdk", "pg"], "'aws-sdk', 'pg' are not available: for an HTTP API, call it"),
    ],
)
def test_require_of_a_module_the_runtime_lacks_says_so(pool, required, said):
    lines = "".join(f"const m{i} = require('{name}');\n" for i, name in enumerate(required))
    result = pool.run(f"require-{required[0]}", lines + "async function onRequest() {}", REQUEST)
    assert said in result.error["hint"]
    assert "Delete the require() lines" not in result.error["hint"]


def test_require_under_a_computed_name_still_says_the_libraries_are_globals(pool):
    code = "async function onRequest() { const name = 'lodash'; require(name); }"
    result = pool.run("require-computed", code, REQUEST)
    assert result.error["hint"].startswith(REQUIRE_HINT)
    assert "Use them by name: _, moment" in result.error["hint"]


def test_process_env_points_to_settings(pool):
    code = "async function onRequest() {\n  const key = process.env.API_KEY;\n}"
    result = pool.run("process", code, REQUEST)
    assert result.error["message"] == "process is not defined"
    assert result.error["hint"] == PROCESS_HINT
    assert result.error["line"] == 2


def test_a_functions_own_reference_error_gets_no_hint(pool):
    result = pool.run("own", "async function onRequest() { requireUser(); }", REQUEST)
    assert result.error["message"] == "requireUser is not defined"
    assert "hint" not in result.error
