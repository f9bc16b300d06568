"""`functions-cli push --deploy` of code with a syntax error: the server compiles it
first and refuses; the CLI says where, as a compiler does (FILE:LINE:COLUMN, the line,
a caret), and the draft is saved without a new version."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import FunctionFactory, bearer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
CLI = Path(sys.executable).parent / "functions-cli"
ROOT = Path(__file__).resolve().parents[2]
BROKEN = """async function onRequest(request) {
  const body = request.json();
    if (body.ok) { Segment.track({ event: 'ok', userId: 'u' }); }}
}
"""


def test_push_deploy_of_broken_code_is_refused_at_its_line(tmp_path, live_server, owner, workspace):
    function = FunctionFactory(workspace=workspace, slug="orders")
    # This checkout's CLI, whichever the virtualenv's script was installed from.
    env = {**os.environ, "SOURCE_FN_CONFIG": str(tmp_path / "config.json"), "PYTHONPATH": str(ROOT)}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(CLI), *args], capture_output=True, text=True, env=env, timeout=90
        )

    token = bearer(owner, workspace).removeprefix("Bearer ")
    assert (
        cli("login", "--url", live_server.url, "--workspace", "acme", "--token", token).returncode
        == 0
    )
    code = tmp_path / "orders.js"
    code.write_text(BROKEN)

    refused = cli("push", str(code), "--function", "orders", "--deploy")

    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "error: Not deployed: the draft does not compile (SyntaxError: Unexpected token '}' "
        "at line 4, column 1). The draft is saved; fix the code and deploy again.",
        f"{code}:4:1: SyntaxError: Unexpected token '}}'",
        "    }",
        "    ^",
    ]
    function.refresh_from_db()
    assert function.draft_code == BROKEN and not function.versions.exists()
