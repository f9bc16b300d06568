"""The editor's type declarations cover every global the sandbox gives a function, compile
under the editor's settings, and complete the members a migrated function uses."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from runner import run
from runner.engine import NAMED_LIBRARIES

ROOT = Path(__file__).resolve().parents[2]
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
NODE_GLOBALS = (
    "AbortController AbortSignal Event EventTarget DOMException structuredClone queueMicrotask "
    "performance AWS google fetch crypto btoa atob Segment cache"
).split()
# The language's own globals (TypeScript's ES libraries type them), and mini-racer's
# timer hook, which the prelude sets to undefined.
LANGUAGE_GLOBALS = set(
    "AggregateError Array ArrayBuffer AsyncDisposableStack Atomics BigInt BigInt64Array "
    "BigUint64Array Boolean DataView Date DisposableStack Error EvalError FinalizationRegistry "
    "Float16Array Float32Array Float64Array Function Infinity Int16Array Int32Array Int8Array "
    "Intl Iterator JSON Map Math NaN Number Object Promise Proxy RangeError ReferenceError "
    "Reflect RegExp Set SharedArrayBuffer String SuppressedError Symbol SyntaxError Temporal "
    "TypeError URIError Uint16Array Uint32Array Uint8Array Uint8ClampedArray WeakMap WeakRef "
    "WeakSet WebAssembly decodeURI decodeURIComponent encodeURI encodeURIComponent escape "
    "eval globalThis isFinite isNaN parseFloat parseInt undefined unescape __timer_manager".split()
)
LISTS_GLOBALS = """
async function onRequest() {
  console.log(Object.getOwnPropertyNames(globalThis).join(' '));
}
"""


def _dts() -> str:
    module = "./frontend/src/lib/functions-dts.js"
    script = f"import('{module}').then((m) => process.stdout.write(m.FUNCTIONS_DTS))"
    return subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _declared(dts: str) -> set[str]:
    return set(re.findall(r"^declare (?:const|function|class) (\w+)", dts, re.MULTILINE))


@needs_node
def test_every_global_of_the_sandbox_is_declared():
    dts = _dts()
    declared = _declared(dts)
    library_globals = {name for names in NAMED_LIBRARIES.values() for name in names}
    assert library_globals | set(NODE_GLOBALS) <= declared, sorted(
        library_globals | set(NODE_GLOBALS) - declared
    )
    assert dts.count("{") == dts.count("}") and dts.count("(") == dts.count(")")


@needs_node
def test_the_runners_own_globals_all_have_declarations():
    """What a function finds on its global object, but the language's own, has a type:
    `_`, `console`, `Buffer`, `URL`, the timers… complete in the editor."""
    result = run(LISTS_GLOBALS, {"method": "POST", "url": "https://example.com/", "body": {}})
    assert result.error is None, result.error
    sandbox = set(result.logs[0]["message"].split())
    missing = sandbox - LANGUAGE_GLOBALS - _declared(_dts())
    assert not missing, sorted(missing)


def _completions(code: str) -> dict:
    done = subprocess.run(
        ["node", "tests/frontend/dts_completions.mjs", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.slow
@needs_node
def test_the_declarations_compile_and_complete_what_migrated_functions_use():
    marks = {
        "_.": {"groupBy", "get", "camelCase", "cloneDeep", "VERSION"},
        "console.": {"log", "warn", "error"},
        "Buffer.": {"from", "concat", "byteLength"},
        "Buffer.from('a').": {"toString", "equals", "readUInt32BE"},
        "(await fetch('https://example.com/')).": {"json", "text", "status", "headers"},
        "new URL('https://example.com/').": {"searchParams", "pathname"},
        "crypto.": {"createHmac", "randomBytes", "timingSafeEqual"},
        "moment.tz('2021-03-14', 'UTC').": {"format", "tz", "add"},
        "zlib.zlib.": {"gzipSync", "gunzip"},
        "cache.": {"load", "delete"},
        "new AbortController().": {"abort", "signal"},
        "https.": {"request", "get"},
    }
    code = "async function onRequest(request, settings) {\n"
    code += "".join(f"  {prefix}/*^*/;\n" for prefix in marks) + "}\n"
    found = _completions(code)
    assert found["errors"] == []
    for (prefix, expected), names in zip(marks.items(), found["completions"], strict=True):
        assert expected <= set(names), (prefix, sorted(expected - set(names)))
