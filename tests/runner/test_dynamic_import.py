"""import() says plainly that modules cannot be loaded, and what is there instead."""

from runner.result import IMPORT_UNAVAILABLE


def test_dynamic_import_has_a_clear_message(pool):
    code = "async function onRequest() {\n  const fs = await import('fs');\n}"
    result = pool.run("import", code, {"body": {}})
    assert result.error["name"] == "Error"
    assert result.error["message"] == IMPORT_UNAVAILABLE
    assert result.error["message"].startswith("import() is not available in Source Functions")
    assert "Segment" in result.error["message"] and "fetch" in result.error["message"]
    assert result.error["line"] == 2
    assert "Not supported" not in result.error["stack"]


def test_a_functions_own_not_supported_error_is_left_alone(pool):
    code = "async function onRequest() { throw new Error('Not supported'); }"
    result = pool.run("own", code, {"body": {}})
    assert result.error["message"] == "Not supported"
