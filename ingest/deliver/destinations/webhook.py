"""Signed webhook: each batch POSTed as JSON to a URL of the owner's, signed so that
the receiver can tell it comes from this destination and was not replayed late.

The body is `{"source": "<slug>", "events": [...], "objects": [{"collection", "id",
"properties"}]}` (compact JSON, UTF-8): one request per batch, or as many as keep each
within MAX_REQUEST_BYTES (a receiver that refuses big bodies would refuse the batch for
good otherwise). The header
`X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` is keyed with the
destination's secret and made at each attempt, so a retry carries a fresh timestamp.
docs/destinations.md shows the receiver's side.

Configuration: `url`; credentials: `secret` (new_secret() makes one). The deliver stage
adds what the product says about itself (transport.Egress): `public_url`,
`allow_private_network`, and optionally `timeout_seconds`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from ingest.deliver.destinations.base import Answer, Batch, DeliveryError, Destination
from ingest.deliver.destinations.transport import (
    Egress,
    Reply,
    Transport,
    Wording,
    counted,
    encoded_events,
    json_bytes,
    object_json,
)

SIGNATURE_HEADER = "X-Signature"
# What docs/destinations.md tells receivers to accept, either side of their clock.
TOLERANCE_SECONDS = 300
MIN_SECRET_CHARS = 16
TEST_PING = b'{"test":true}'
MAX_REQUEST_BYTES = 1_000_000  # events and objects are 32 KB at most each (runner.Limits)


def sign(secret: str, body: bytes, at: int) -> str:
    """The X-Signature value of body, signed at unix time `at`."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def new_secret() -> str:
    """A secret for a new webhook destination: 256 random bits."""
    return "whsec_" + secrets.token_urlsafe(32)


class SignedWebhook(Destination):
    kind = "webhook"

    def __init__(self, config: dict, credentials: dict) -> None:
        super().__init__(config, credentials)
        self.egress = Egress.from_config(config)
        self.url = str(config.get("url") or "")
        self.secret = str(credentials.get("secret") or "")

    def check(self) -> Answer:
        """POST the signed ping `{"test":true}`, which a receiver should answer with a
        2xx and not store."""
        reply = self._post(TEST_PING)
        return Answer(
            reply.status,
            reply.seconds,
            f"The webhook endpoint answered HTTP {reply.status} to a signed test ping.",
        )

    def send(self, batch: Batch) -> Answer:
        encoded, refused = encoded_events(batch.events)
        objects = [
            object_json(
                {"collection": o.collection, "id": o.id, "properties": o.properties}, o.collection
            )
            for o in batch.objects
        ]
        if not encoded and not objects:
            return Answer(None, 0.0, "Nothing to send.", refused)
        replies = [self._post(body) for body in _bodies(batch.source, encoded, objects)]
        requests = "one request" if len(replies) == 1 else f"{len(replies)} requests"
        return Answer(
            replies[-1].status,
            sum(reply.seconds for reply in replies),
            f"{counted(len(encoded), 'event')} and {counted(len(objects), 'object')} "
            f"in {requests}.",
            refused,
        )

    def _post(self, body: bytes) -> Reply:
        self._require_settings()
        wording = Wording(
            service="The webhook endpoint",
            key_refused="The webhook endpoint refused the request: check that it verifies "
            "the signature with this destination's secret",
            not_found="check the URL.",
        )
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
        }
        with Transport(self.egress, wording, secrets=[self.secret]) as http:
            return http.post(self.url, body, headers)

    def _require_settings(self) -> None:
        if not self.url:
            raise DeliveryError("Set the URL the webhooks are sent to.", permanent=True)
        if len(self.secret) < MIN_SECRET_CHARS:
            raise DeliveryError(
                f"The secret must be at least {MIN_SECRET_CHARS} characters long.",
                permanent=True,
            )


def _bodies(source: str, events: list[bytes], objects: list[bytes]):
    """The batch's bodies, events first, each within MAX_REQUEST_BYTES."""
    head = b'{"source":' + json_bytes(source) + b',"events":['
    parts = [(True, e) for e in events] + [(False, o) for o in objects]
    taken: dict[bool, list[bytes]] = {True: [], False: []}
    size = len(head) + len(b'],"objects":[]}')
    for is_event, part in parts:
        if size + len(part) + 1 > MAX_REQUEST_BYTES and (taken[True] or taken[False]):
            yield _body(head, taken)
            taken, size = {True: [], False: []}, len(head) + len(b'],"objects":[]}')
        taken[is_event].append(part)
        size += len(part) + 1
    yield _body(head, taken)


def _body(head: bytes, taken: dict[bool, list[bytes]]) -> bytes:
    return head + b",".join(taken[True]) + b'],"objects":[' + b",".join(taken[False]) + b"]}"
