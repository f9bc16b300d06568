"""Reading a webhook request in either form the project accepts.

The project's own form::

    {"method": "POST", "url": "https://example.com/hook?x=1",
     "headers": {"Content-Type": "application/json"}, "body": {...}}   # or "rawBody": "..."

and the sample form of Segment's public functions library::

    {"payload": {"body": ..., "headers": {...}, "queryParameters": {...}}}  # or queryParams

Both become one normalised request: ``{"method", "url", "headers", "raw_body"}`` where
headers is a list of ``[name, value]`` pairs (array values joined with ", ").

From Python (not in JSON files), ``rawBody`` may also be ``bytes``: the body exactly as
it arrived. It is kept as bytes (``raw_body``) and counted against the body limit as
is; the function reads it as text decoded from UTF-8 as Node's
``Buffer.toString('utf8')`` does (each invalid sequence becomes U+FFFD).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from runner.limits import DEFAULT_LIMITS

# The default of Limits.request_bytes: the one request limit (WEBHOOK_MAX_BYTES in the
# Django settings is the same value).
MAX_BODY_BYTES = DEFAULT_LIMITS.request_bytes
SAMPLE_URL = "https://localhost/"


class RequestFormatError(ValueError):
    """A request file or object that is in neither accepted form."""


def normalize_request(obj: Any, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """Return ``{"method", "url", "headers", "raw_body"}`` for either request form;
    RequestFormatError for a body over `max_bytes` (Limits.request_bytes)."""
    if not isinstance(obj, dict):
        raise RequestFormatError("a request must be a JSON object")
    if _is_normalized(obj):
        return obj  # normalising twice gives the same request
    if "raw_body" in obj:
        raise RequestFormatError(
            'a normalised request has exactly "method", "url", "headers" (a list of '
            '[name, value] pairs) and "raw_body" (a string or bytes); use "body" or "rawBody" '
            "otherwise"
        )
    if "payload" in obj and not ({"url", "method", "rawBody", "body"} & obj.keys()):
        return _from_sample(obj["payload"], max_bytes)
    return _from_project_form(obj, max_bytes)


def _is_normalized(obj: dict[str, Any]) -> bool:
    return (
        obj.keys() == {"method", "url", "headers", "raw_body"}
        and isinstance(obj["raw_body"], str | bytes)
        and isinstance(obj["headers"], list)
    )


def _from_project_form(obj: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    if "body" in obj and "rawBody" in obj:
        raise RequestFormatError('give either "body" (JSON) or "rawBody" (a string), not both')
    raw_body = obj.get("rawBody")
    if raw_body is None:
        raw_body = json.dumps(obj["body"]) if "body" in obj else ""
    if isinstance(raw_body, bytearray | memoryview):
        raw_body = bytes(raw_body)
    if not isinstance(raw_body, str | bytes):
        raise RequestFormatError('"rawBody" must be a string')
    method = obj.get("method", "POST")
    url = obj.get("url", SAMPLE_URL)
    if not isinstance(method, str) or not isinstance(url, str):
        raise RequestFormatError('"method" and "url" must be strings')
    _check_url(url)
    headers = _header_pairs(obj.get("headers", {}))
    return _checked(method.upper(), url, headers, raw_body, max_bytes)


def _from_sample(payload: Any, max_bytes: int) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise RequestFormatError('"payload" must be an object with "body" and "headers"')
    body = payload.get("body")
    raw_body = body if isinstance(body, str) else json.dumps(body) if body is not None else ""
    query = payload.get("queryParameters", payload.get("queryParams")) or {}
    if not isinstance(query, dict):
        raise RequestFormatError('"queryParameters" must be an object')
    pairs = [(k, v) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
    url = SAMPLE_URL + ("?" + urlencode([(k, str(v)) for k, v in pairs]) if pairs else "")
    headers = _header_pairs(payload.get("headers") or {})
    return _checked("POST", url, headers, raw_body, max_bytes)


def _header_pairs(headers: Any) -> list[list[str]]:
    if not isinstance(headers, dict):
        raise RequestFormatError('"headers" must be an object of names to values')
    pairs = []
    for name, value in headers.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif not isinstance(value, str | int | float):
            raise RequestFormatError(f'header "{name}" must be a string or a list of strings')
        pairs.append([str(name), str(value)])
    return pairs


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RequestFormatError(f'"url" must be an absolute http(s) URL, got {url!r}')


def _checked(
    method: str, url: str, headers: list[list[str]], raw_body: str | bytes, max_bytes: int
) -> dict[str, Any]:
    size = len(raw_body) if isinstance(raw_body, bytes) else _utf8_size(raw_body)
    if size > max_bytes:
        raise RequestFormatError(f"the body is {size:,} bytes; the limit is {_size(max_bytes)}")
    return {"method": method, "url": url, "headers": headers, "raw_body": raw_body}


def _size(limit: int) -> str:
    mb, rest = divmod(limit, 1024 * 1024)
    return f"{mb} MB ({limit:,} bytes)" if mb and not rest else f"{limit:,} bytes"


def _utf8_size(text: str) -> int:
    # surrogatepass: a lone surrogate (JSON allows "\ud800") counts as the 3 bytes it
    # takes, instead of failing the count.
    return len(text.encode("utf-8", "surrogatepass"))


def body_text(raw_body: str | bytes) -> str:
    """The body as the function reads it: bytes decoded as Node's
    Buffer.toString('utf8') does (an invalid sequence becomes U+FFFD)."""
    if isinstance(raw_body, str):
        return raw_body
    return raw_body.decode("utf-8", "replace")


def query_parameters(url: str) -> dict[str, str]:
    """The query string as the legacy interface shows it (last value wins)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def load_request_file(path: str) -> dict[str, Any]:
    """Read and normalise a REQUEST.json file."""
    try:
        with open(path, encoding="utf-8") as handle:
            obj = json.load(handle)
    except json.JSONDecodeError as exc:
        raise RequestFormatError(f"{path} is not valid JSON: {exc}") from None
    return normalize_request(obj)
