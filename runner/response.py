"""The response a function returns for its webhook's sender, within its limits.

`onRequest` may return a `Response` or a plain `{status, headers, body}` object
(js/src/respond.js reads either into a status, headers and a text body). What the
sender may be sent is bounded here, once, for every report:

- the status is a whole number from 200 to 599;
- headers come from an allow-list: the ones that describe a body (type, language,
  caching) and `X-…` headers of the function's own (not under a prefix a server, a
  proxy or a browser acts on: X-Accel-…, X-Sendfile…, X-Forwarded-…), never one that
  would set a cookie, redirect, make a download, ask for credentials, change the
  connection or speak for the product's security headers; each header once, whatever
  its spelling, at most MAX_HEADERS_CHARS together;
- the Content-Type is one media type of ALLOWED_MEDIA_TYPES, which cannot run in the
  product's origin (no HTML, SVG, script or download);
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
# All the headers together: a proxy in front of the product refuses an answer whose
# headers outgrow its buffer (nginx: 4 or 8 KB), so a function cannot make it one.
MAX_HEADERS_CHARS = 8192
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
# X- names a server, a proxy, a CDN or a browser gives a meaning beyond the body, by
# prefix (X-Accel-Redirect and X-Accel-Anything, X-Sendfile2, X-Forwarded-Whatever…):
# every other X- header is the function's own.
REFUSED_X_PREFIXES = (
    "x-accel", "x-sendfile", "x-lighttpd", "x-litespeed", "x-nginx", "x-varnish",
    "x-forwarded", "x-real-ip", "x-original", "x-rewrite", "x-envoy", "x-proxy",
    "x-cache", "x-cdn", "x-edge", "x-fastly", "x-akamai", "x-amz", "x-goog", "x-ms-",
    "x-azure", "x-middleware", "x-vercel", "x-nf-", "x-served-by", "x-powered-by",
    "x-frame", "x-xss", "x-content", "x-permitted", "x-dns-prefetch", "x-download",
    "x-ua-compatible", "x-robots", "x-csrf", "x-http-method", "x-request-id",
)  # fmt: skip
# The media types an answer may have: text a browser shows as text, or a tree it shows
# as one; nothing that runs (HTML, SVG, scripts, CSS, wasm), nothing it downloads. XML
# (TwiML) can hold XHTML, which the sandbox served with every answer keeps inert.
ALLOWED_MEDIA_TYPES = frozenset({"application/json", "text/plain", "application/xml", "text/xml"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# The body is sent as UTF-8: a charset may only say so (another one, UTF-7 or UTF-16,
# would have a browser read the same bytes as other text).
_MEDIA_TYPE = re.compile(
    r"\s*([a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)\s*"
    r"(?:;\s*charset\s*=\s*(?:utf-?8|\"utf-?8\"|us-ascii|\"us-ascii\")\s*)?",
    re.IGNORECASE,
)
ALLOWED_IN_WORDS = (
    "Content-Type, Content-Language, Cache-Control, Expires, ETag, Last-Modified, Pragma, "
    "Retry-After, Vary and X-… headers of your own"
)
MEDIA_TYPES_IN_WORDS = "application/json, text/plain, application/xml or text/xml"


class ResponseLimitError(ValueError):
    """A response past one of its limits; the message says which, in a user's words."""


def is_allowed_header(name: str) -> bool:
    """Whether a function may send a header of this (lowercased) name to its sender."""
    if name in ALLOWED_HEADERS:
        return True
    return name.startswith("x-") and len(name) > 2 and not name.startswith(REFUSED_X_PREFIXES)


def media_type_of(value: str) -> str | None:
    """The one media type of a Content-Type value (lowercased), None unless it is an
    allowed one with at most a UTF-8 charset: two types (a header given twice), other
    parameters or charsets, or anything after them is no answer's type."""
    match = _MEDIA_TYPE.fullmatch(value)
    if match is None or match[1].lower() not in ALLOWED_MEDIA_TYPES:
        return None
    return match[1].lower()


def checked_response(raw: Any) -> dict[str, Any] | None:
    """The response of a report (None for none), as `{"status", "headers", "body"}`
    with each header once under its lowercased name; ResponseLimitError past a limit.
    Raises ValueError for a shape the runtime never writes (only a damaged one does)."""
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
    headers = _checked_headers(headers)
    _check_body(body)
    return {"status": status, "headers": headers, "body": body}


def _check_status(status: int) -> None:
    low, high = STATUS_RANGE
    if not low <= status <= high:
        raise ResponseLimitError(
            f"the response's status must be from {low} to {high}, not {status}"
        )


def _checked_headers(headers: dict[Any, Any]) -> dict[str, str]:
    """The headers under lowercased names: one given twice in two spellings counts once,
    its values joined as HTTP joins them (and then two Content-Types are no type)."""
    merged: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str) or not _TOKEN.fullmatch(name):
            raise ValueError("a response's header names must be HTTP tokens, values text")
        lowered = name.lower()
        merged[lowered] = f"{merged[lowered]}, {value}" if lowered in merged else value
    if len(merged) > MAX_HEADERS:
        raise ResponseLimitError(
            f"the response has {len(merged)} headers; a function may send at most {MAX_HEADERS}"
        )
    for name, value in merged.items():
        _check_header(name, value)
    size = sum(len(name) + len(value) for name, value in merged.items())
    if size > MAX_HEADERS_CHARS:
        raise ResponseLimitError(
            f"the response's headers are {size:,} characters together; a function may send "
            f"at most {MAX_HEADERS_CHARS:,}"
        )
    return merged


def _check_header(name: str, value: str) -> None:
    if not is_allowed_header(name):
        raise ResponseLimitError(
            f"the response sets the header {name!r}, which a function may not send to "
            f"its sender; allowed are {ALLOWED_IN_WORDS}"
        )
    if len(value) > MAX_HEADER_VALUE_CHARS or not _is_header_text(value):
        raise ResponseLimitError(
            f"the response's header {name!r} must be at most {MAX_HEADER_VALUE_CHARS:,} "
            "characters of Latin-1 text without line breaks"
        )
    if name == "content-type" and media_type_of(value) is None:
        raise ResponseLimitError(
            f"the response's Content-Type is {value[:80]!r}; a function may answer its "
            f"sender with one of {MEDIA_TYPES_IN_WORDS} (and charset=utf-8), which a browser "
            "shows as text, never as a page, a script or a download"
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
