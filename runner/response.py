"""The response a function returns for its webhook's sender, within its limits.

`onRequest` may return a `Response` or a plain `{status, headers, body}` object
(js/src/respond.js reads either into a status, headers and a text body). What the
sender may be sent is bounded here, once, for every report:

- the status is a whole number from 200 to 599;
- headers come from an allow-list: the ones that describe a body (type, language,
  caching) and `X-…` headers of the function's own, never one that would set a cookie,
  redirect, ask for credentials, change the connection or speak for the product's
  security headers;
- the body is at most RESPONSE_BODY_BYTES of UTF-8 text.

Past one, the execution fails with OutputLimitError (not retried: the same code would
cross it again), naming the limit.
"""

from __future__ import annotations

import re
from typing import Any

from runner.limits import RESPONSE_BODY_BYTES

STATUS_RANGE = (200, 599)
MAX_HEADERS = 32
MAX_HEADER_VALUE_CHARS = 4096
ALLOWED_HEADERS = frozenset(
    {
        "content-type",
        "content-language",
        "cache-control",
        "expires",
        "etag",
        "last-modified",
        "pragma",
        "retry-after",
        "vary",
    }
)
# X- headers a server, a proxy or a browser gives a meaning beyond the body: refused.
REFUSED_X_HEADERS = frozenset(
    {
        "x-accel-redirect",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-expires",
        "x-accel-limit-rate",
        "x-sendfile",
        "x-lighttpd-send-file",
        "x-content-type-options",
        "x-frame-options",
        "x-xss-protection",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
ALLOWED_IN_WORDS = (
    "Content-Type, Content-Language, Cache-Control, Expires, ETag, Last-Modified, Pragma, "
    "Retry-After, Vary and X-… headers of your own"
)


class ResponseLimitError(ValueError):
    """A response past one of its limits; the message says which, in a user's words."""


def is_allowed_header(name: str) -> bool:
    if name in ALLOWED_HEADERS:
        return True
    return name.startswith("x-") and name not in REFUSED_X_HEADERS and len(name) > 2


def checked_response(raw: Any) -> dict[str, Any] | None:
    """The response of a report (None for none), as `{"status", "headers", "body"}`;
    ResponseLimitError past a limit. Raises ValueError for a shape the runtime never
    writes (only a damaged one does)."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"status", "headers", "body"}:
        raise ValueError("a response must have status, headers and body")
    status, headers, body = raw["status"], raw["headers"], raw["body"]
    if not isinstance(status, int) or isinstance(status, bool) or not isinstance(body, str):
        raise ValueError("a response's status must be an integer and its body text")
    if not isinstance(headers, dict):
        raise ValueError("a response's headers must be an object")
    _check_status(status)
    _check_headers(headers)
    _check_body(body)
    return {"status": status, "headers": dict(headers), "body": body}


def _check_status(status: int) -> None:
    low, high = STATUS_RANGE
    if not low <= status <= high:
        raise ResponseLimitError(
            f"the response's status must be from {low} to {high}, not {status}"
        )


def _check_headers(headers: dict[Any, Any]) -> None:
    if len(headers) > MAX_HEADERS:
        raise ResponseLimitError(
            f"the response has {len(headers)} headers; a function may send at most {MAX_HEADERS}"
        )
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str) or not _TOKEN.fullmatch(name):
            raise ValueError("a response's header names must be HTTP tokens, values text")
        if not is_allowed_header(name.lower()):
            raise ResponseLimitError(
                f"the response sets the header {name!r}, which a function may not send to "
                f"its sender; allowed are {ALLOWED_IN_WORDS}"
            )
        if len(value) > MAX_HEADER_VALUE_CHARS or not _is_header_text(value):
            raise ResponseLimitError(
                f"the response's header {name!r} must be at most {MAX_HEADER_VALUE_CHARS:,} "
                "characters of Latin-1 text without line breaks"
            )


def _is_header_text(value: str) -> bool:
    return all(ch == "\t" or " " <= ch <= "~" or "\x80" <= ch <= "\xff" for ch in value)


def _check_body(body: str) -> None:
    if len(body) * 3 <= RESPONSE_BODY_BYTES:
        return
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > RESPONSE_BODY_BYTES:
        limit_kb = RESPONSE_BODY_BYTES // 1024
        raise ResponseLimitError(
            f"the response's body is {size:,} bytes; a function may answer its sender with "
            f"at most {limit_kb} KB"
        )
