"""The editor's type declarations cover every global the sandbox gives a function."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from runner.engine import NAMED_LIBRARIES

ROOT = Path(__file__).resolve().parents[2]
NODE_GLOBALS = (
    "AbortController AbortSignal Event EventTarget DOMException structuredClone queueMicrotask "
    "performance AWS google fetch crypto btoa atob Segment"
).split()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_every_global_of_the_sandbox_is_declared():
    module = "./frontend/src/lib/functions-dts.js"
    script = f"import('{module}').then((m) => process.stdout.write(m.FUNCTIONS_DTS))"
    dts = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    declared = set(re.findall(r"^declare (?:const|function|class) (\w+)", dts, re.MULTILINE))
    library_globals = {name for names in NAMED_LIBRARIES.values() for name in names}
    assert library_globals | set(NODE_GLOBALS) <= declared, sorted(
        library_globals | set(NODE_GLOBALS) - declared
    )
    assert dts.count("{") == dts.count("}") and dts.count("(") == dts.count(")")
