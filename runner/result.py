"""What an execution produces, and the shaping of what V8 reports into it."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

# The user's code starts on line 2 of the script the runner evaluates.
LINE_OFFSET = 1
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1b2a8e-4c55-4d0c-9a51-3c3b7b8f2d10")
_MESSAGE_ID_HASH = hashlib.sha1(MESSAGE_ID_NAMESPACE.bytes)

_FRAME = re.compile(r"function\.js:(\d+):(\d+)")
_INTERNAL_FRAME = re.compile(r"^\s+at .*(runner-internal/prelude|<anonymous>:\d+:\d+)")
# Where V8 starts a new line (ECMAScript's line terminators).
_LINE_BREAK = re.compile("\r\n|[\r\n\u2028\u2029]")
_PARSE_HEAD = re.compile(r"^(?:function\.js|<anonymous>):(\d+): (\w+): (.*)$")

LEGACY_HINT = (
    "This looks like a function written for the legacy interface (exports.processEvents). "
    "Either run it as it is: choose Legacy as the Interface in Configure (with the CLI, "
    "add --legacy), or migrate: define async function onRequest(request, "
    "settings), read the body with request.json(), headers with request.headers.get(name), "
    "query parameters with request.url.searchParams.get(name), and emit with "
    "Segment.track()/identify()/... instead of returning events."
)
# mini-racer refuses every import() with a bare "Error: Not supported".
_DYNAMIC_IMPORT = re.compile(r"\bimport\s*\(")
IMPORT_UNAVAILABLE = (
    "import() is not available in Source Functions; the built-ins are globals: Segment, "
    "fetch, Headers, Request, Response, FormData, _ (lodash), xml, Buffer, crypto, URL, "
    "URLSearchParams, atob, btoa, OAuth, console, setTimeout, cache, and the libraries of "
    "Segment's runtime (moment, stripe, jsonwebtoken, …); no other module can be loaded"
)
# What `require('…')` of a function written for Node is here: the globals of the sandbox.
REQUIRED_MODULES = {
    "lodash": "_",
    "moment": "moment",
    "moment-timezone": "moment",
    "jsonwebtoken": "jsonwebtoken",
    "uuidv5": "uuidv5.uuidv5",
    "uuid": "crypto.randomUUID()",
    "xml2js": "xml2js",
    "xml": "xml",
    "zlib": "zlib.zlib",
    "winston": "winstonlib.winston",
    "stripe": "stripe",
    "twilio": "twilio",
    "@sendgrid/client": "sendgrid.client",
    "@sendgrid/mail": "sendgrid.mail",
    "@hubspot/api-client": "hubspotlib.hubspot",
    "jsforce": "jsforce",
    "node-mailjet": "nodemailjet.nodemailjet",
    "https": "https",
    "node-fetch": "fetch",
    "crypto": "crypto",
    "buffer": "Buffer",
    "url": "URL",
    "oauth": "OAuth",
    "form-data": "FormData",
}
_REQUIRE_CALL = re.compile(r"""\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)""")
REQUIRE_HINT = (
    "There is no require() in Source Functions: the libraries of Segment's runtime are "
    "already globals."
)
PROCESS_HINT = (
    "There is no process in Source Functions: read API keys and other configuration from "
    "settings (onRequest(request, settings); define them in the Settings tab), not "
    "process.env."
)
STOPPED_LOOP_HINT = (
    "The loop at line {line} was still running when the time was up. If it should end, "
    "check that its condition turns false or that it breaks; if it is only slow, give the "
    "function more time."
)
NEW_INTERFACE_HINT = (
    "This function defines onRequest: to run it with the onRequest(request, settings) "
    "interface, choose onRequest as the Interface in Configure (with the CLI, leave out "
    "--legacy)."
)
# Built-ins are frozen (docs/runner.md): in sloppy code `String.prototype.shout = f` is
# ignored, and only the later `'a'.shout()` fails. RegExp is left out: it is not frozen.
_BUILTIN_ASSIGNMENT = re.compile(
    r"(?<![\w$.])((?:Object|Function|Array|String|Number|Boolean|Symbol|BigInt|Date|Promise|"
    r"Map|Set|WeakMap|WeakSet|JSON|Math|Reflect|Intl|Iterator|ArrayBuffer|DataView|"
    r"(?:Eval|Range|Reference|Syntax|Type|URI|Aggregate)?Error|"
    r"(?:Int8|Uint8|Uint8Clamped|Int16|Uint16|Int32|Uint32|Float16|Float32|Float64|BigInt64|"
    r"BigUint64)Array)(?:\.prototype)?)\.([A-Za-z_$][\w$]*)\s*=(?![=>])"
)
FROZEN_BUILTIN_HINT = (
    "Built-in objects such as {target} are frozen in Source Functions, so that one execution "
    "cannot change them for the next: this function sets {name!r} on {target}, which has no "
    "effect. Use a function of your own instead (function {name}(value) {{ ... }})."
)


@dataclass
class Invocation:
    """One request to run through a function, with the instance's settings.

    `secret_names` names the settings whose values are secret (encrypted settings): they
    are redacted from everything the result records but the events and objects.
    `cache_scope` names whose values `cache.load` reads and stores (one per source):
    invocations of different scopes never see each other's.
    """

    request: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    execution_id: str | None = None
    secret_names: tuple[str, ...] = ()
    cache_scope: str = ""


@dataclass
class Result:
    """The outcome of one execution, as the CLI prints it."""

    events: list[dict[str, Any]] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    logs: list[dict[str, str]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    fetches: list[dict[str, Any]] = field(default_factory=list)
    duration_ms: float = 0.0
    # What the function returned for the webhook's sender: {"status", "headers", "body"}
    # (runner.response), or None when it returned nothing (or failed).
    response: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The Result that `to_dict` gave (across the sandbox's pipe, or a task's result)."""
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The one serialised form: what the CLI prints, the sandbox sends its parent and
        a test run returns (JSON-ready, the shape of ARCHITECTURE.md)."""
        return {
            "events": self.events,
            "objects": self.objects,
            "logs": self.logs,
            "error": self.error,
            "fetches": self.fetches,
            "duration_ms": round(self.duration_ms, 3),
            "response": self.response,
        }


def fill_message_ids(events: list[dict[str, Any]], execution_id: str | None) -> None:
    """Give each event without one a messageId, stable for (execution id, index)."""
    for index, event in enumerate(events):
        if event.get("messageId") in (None, ""):
            if execution_id is None:
                event["messageId"] = str(uuid.uuid4())
            else:
                event["messageId"] = message_id(execution_id, index)


def message_id(execution_id: str, index: int) -> str:
    """`str(uuid.uuid5(MESSAGE_ID_NAMESPACE, f"{execution_id}:{index}"))`, without building
    a UUID object (a third of the cost, which counts in a batch: one per event)."""
    digest = _MESSAGE_ID_HASH.copy()
    digest.update(f"{execution_id}:{index}".encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = raw[6] & 0x0F | 0x50  # version 5
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def limit_error(name: str, message: str) -> dict[str, Any]:
    return {
        "name": name,
        "message": message,
        "stack": f"{name}: {message}",
        "line": None,
        "column": None,
    }


def user_error(
    raw: dict[str, Any], *, legacy: bool, code: str, columns: Any = None
) -> dict[str, Any]:
    """Map an error thrown in V8 back to the user's lines and add a hint where one helps.
    `columns`: where loop guards went into the code V8 ran (runner.loops.ColumnMap)."""
    stack = _map_stack(raw.get("stack") or "", columns)
    message = raw["message"]
    if message == "Not supported" and raw["name"] == "Error" and _DYNAMIC_IMPORT.search(code):
        message = IMPORT_UNAVAILABLE
        stack = stack.replace("Error: Not supported", f"Error: {message}", 1)
    error = {
        "name": raw["name"],
        "message": message,
        "stack": stack,
        "line": None,
        "column": None,
    }
    match = _FRAME.search(stack)
    if match:
        error["line"], error["column"] = int(match.group(1)), int(match.group(2))
    if raw.get("limit") == "time":
        return _stopped_loop(error)
    hint = _hint(error, legacy=legacy, code=code)
    if hint:
        error["hint"] = hint
    return error


def _stopped_loop(error: dict[str, Any]) -> dict[str, Any]:
    """The TimeoutError of a loop guard (runner.loops): it says where the loop is."""
    line = error["line"]
    if line is None:
        return error
    head = f"{error['name']}: {error['message']}"
    error["message"] = f"{error['message']} at function.js line {line}"
    error["stack"] = error["stack"].replace(head, f"{error['name']}: {error['message']}", 1)
    error["hint"] = STOPPED_LOOP_HINT.format(line=line)
    return error


def _map_stack(stack: str, columns: Any = None) -> str:
    def shift(match: re.Match[str]) -> str:
        line, column = max(1, int(match.group(1)) - LINE_OFFSET), int(match.group(2))
        if columns is not None:
            line, column = columns.original(line, column)
        return f"function.js:{line}:{column}"

    lines = [line for line in stack.splitlines() if not _INTERNAL_FRAME.search(line)]
    return _FRAME.sub(shift, "\n".join(lines))


def syntax_error(engine_message: str, *, code: str) -> dict[str, Any]:
    """Turn mini-racer's parse failure text into an error with the user's line/column."""
    lines = engine_message.splitlines()
    head = _PARSE_HEAD.match(lines[0]) if lines else None
    if head is None:
        return {
            "name": "SyntaxError",
            "message": engine_message.strip(),
            "stack": engine_message,
            "line": None,
            "column": None,
        }
    user_lines = _LINE_BREAK.split(code)
    line = max(1, int(head.group(1)) - LINE_OFFSET)
    caret = lines[2] if len(lines) > 2 else ""
    column = caret.index("^") + 1 if "^" in caret else 1
    if line > len(user_lines) or (line == len(user_lines) and not user_lines[-1]):
        # Past the code (the end of input, or the runner's last line): its last line
        # that has any, just after its end.
        filled = [n for n, text in enumerate(user_lines, 1) if text.strip()] or [1]
        line = filled[-1]
        column = len(user_lines[line - 1].encode("utf-16-le")) // 2 + 1
    name, message = head.group(2), head.group(3)
    return {
        "name": name,
        "message": message,
        "line": line,
        "column": column,
        "stack": f"{name}: {message}\n    at function.js:{line}:{column}",
    }


def _hint(error: dict[str, Any], *, legacy: bool, code: str) -> str | None:
    if (
        not legacy
        and error["name"] == "ReferenceError"
        and re.match(r"(exports|module) is not defined", error["message"])
    ):
        return LEGACY_HINT
    if (
        legacy
        and "exports.processEvents is not defined" in error["message"]
        and "onRequest" in code
    ):
        return NEW_INTERFACE_HINT
    if error["name"] == "ReferenceError" and error["message"] == "require is not defined":
        return _require_hint(code)
    if error["name"] == "ReferenceError" and error["message"] == "process is not defined":
        return PROCESS_HINT
    if error["name"] == "TypeError" and "frozen in Source Functions" not in error["message"]:
        for match in _BUILTIN_ASSIGNMENT.finditer(code):
            if re.search(rf"\b{re.escape(match.group(2))}\b", error["message"]):
                return FROZEN_BUILTIN_HINT.format(target=match.group(1), name=match.group(2))
    return None


def _require_hint(code: str) -> str:
    """REQUIRE_HINT, then the global for each module the code requires (or that it has none)."""
    modules = dict.fromkeys(match.group(2) for match in _REQUIRE_CALL.finditer(code))
    known = [
        f"{REQUIRED_MODULES[name]} for '{name}'" for name in modules if name in REQUIRED_MODULES
    ]
    unknown = [f"'{name}'" for name in modules if name not in REQUIRED_MODULES]
    parts = [REQUIRE_HINT]
    if known:
        parts.append(f"Delete the require() lines and use {', '.join(known)}.")
    if unknown:
        parts.append(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not available: "
            "for an HTTP API, call it with fetch()."
        )
    if not modules:
        parts.append("Use them by name: _, moment, jsonwebtoken, fetch, …")
    return " ".join(parts)
