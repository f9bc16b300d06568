"""Credentials a sender put in a request's headers, hidden from who may not see them.

A captured webhook (the catcher) or a failed one (a dead letter) keeps the request's
headers as they came: an `Authorization` or a signature header there works for whoever
reads it. Members and source admins see such values masked; owners see them whole (they
verify signatures in the editor). Who sees what: Action.SEE_CREDENTIALS of
catalog.policy; docs/security.md.
"""

import re
from urllib.parse import parse_qsl, unquote_plus

MASK = "•••• (hidden: only workspace owners see credential headers)"

_CREDENTIAL_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
# Any header whose name contains one of these carries a credential or a proof of one.
_CREDENTIAL_WORDS = (
    "token", "secret", "signature", "hmac", "key", "auth", "cookie", "passw", "credential",
    "jwt", "session",
)  # fmt: skip


def is_credential_header(name: str) -> bool:
    name = name.lower()
    return name in _CREDENTIAL_NAMES or any(word in name for word in _CREDENTIAL_WORDS)


def mask_headers(headers: dict, mask: str = MASK) -> dict:
    """The headers with every credential's value replaced (a list of values by one mask)."""
    return {name: mask if is_credential_header(name) else value for name, value in headers.items()}


def mask_query(query_string: str, mask: str = MASK) -> list[list[str]]:
    """A query string's [name, value] pairs, decoded, with the value of every parameter
    named like a credential (`?token=`, `?api_key=`, `?signature=`) replaced: some
    senders authenticate in the URL."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return [[name, mask if is_credential_header(name) else value] for name, value in pairs]


# In a query string or URL: short, and nothing that needs encoding to read.
QUERY_MASK = "••••"


def mask_query_string(query_string: str) -> str:
    """A query string as it came, but for the value of each parameter named like a
    credential (mask_query's rule), which is QUERY_MASK."""
    parts = []
    for part in query_string.split("&"):
        name, equals, _ = part.partition("=")
        parts.append(
            f"{name}={QUERY_MASK}" if equals and is_credential_header(unquote_plus(name)) else part
        )
    return "&".join(parts)


def mask_url(url: str) -> str:
    """A URL with its query's credentials masked (mask_query_string) and the token of
    its path shortened (shorten_tokens)."""
    head, question, rest = url.partition("?")
    if question:
        query, hashmark, fragment = rest.partition("#")
        url = f"{head}?{mask_query_string(query)}{hashmark}{fragment}"
    return shorten_tokens(url)


# The credential in a URL path: a webhook URL, a test URL, an invite link. Kept: the
# first four characters, enough to tell two apart in a log.
_TOKEN_IN_PATH = re.compile(r"(/hooks/(?:test/)?|/invite/)([^/?#\s\"']{5,})")
# The same in a path a sender mistyped (`/hooks/test//<token>`, `/hooks/./<token>`,
# `/hooks;x/<token>`): any long token-shaped segment after /hooks or /invite.
_TOKEN_IN_ODD_PATH = re.compile(r"(/(?:hooks|invite)\b[^\s\"'?#]*?/)([A-Za-z0-9_-]{16,})")
SHOWN_CHARS = 4


def shorten_tokens(text: str) -> str:
    """text with every webhook, test-URL and invite token shortened: /hooks/abcd…"""
    shorten = lambda m: f"{m[1]}{m[2][:SHOWN_CHARS]}…"  # noqa: E731
    return _TOKEN_IN_ODD_PATH.sub(shorten, _TOKEN_IN_PATH.sub(shorten, text))


def mask_request(request: dict) -> dict:
    """A kept request (a saved test's, a sample's) as a capture is shown to who may not
    see credentials (ingest.catcher.masked_capture): its credential headers and query
    parameters masked, in either request form, and the tokens of test and webhook URLs in
    its url shortened (a request saved from a capture keeps the test URL whole)."""
    if isinstance(request.get("url"), str):
        request = {**request, "url": mask_url(request["url"])}
    if isinstance(request.get("headers"), dict):
        return {**request, "headers": mask_headers(request["headers"])}
    payload = request.get("payload")
    if isinstance(payload, dict):
        masked = {**payload}
        if isinstance(payload.get("headers"), dict):
            masked["headers"] = mask_headers(payload["headers"])
        for name in ("queryParameters", "queryParams"):
            if isinstance(payload.get(name), dict):
                masked[name] = mask_headers(payload[name], QUERY_MASK)
        return {**request, "payload": masked}
    return request
