"""Credentials a sender put in a request's headers, hidden from who may not see them.

A captured webhook (the catcher) or a failed one (a dead letter) keeps the request's
headers as they came: an `Authorization` or a signature header there works for whoever
reads it. Members and source admins see such values masked; owners see them whole (they
verify signatures in the editor). Who sees what: Action.SEE_CREDENTIALS of
catalog.policy; docs/security.md.
"""

import re
from urllib.parse import parse_qsl

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
    see credentials (ingest.catcher.masked_capture): its credential headers masked, in
    either request form, and the tokens of test and webhook URLs in its url shortened (a
    request saved from a capture keeps the test URL whole)."""
    if isinstance(request.get("url"), str):
        request = {**request, "url": shorten_tokens(request["url"])}
    if isinstance(request.get("headers"), dict):
        return {**request, "headers": mask_headers(request["headers"])}
    payload = request.get("payload")
    if isinstance(payload, dict) and isinstance(payload.get("headers"), dict):
        return {**request, "payload": {**payload, "headers": mask_headers(payload["headers"])}}
    return request
