"""Webhook bodies guarded while Daphne reads them.

Daphne (on Twisted) reads a request's whole body before it calls the application, so
the ASGI guard of ingest/receive/asgi.py sees a body only once it is all there: a sender
could trickle bytes for ever, or send any size. Under `manage.py serve` the requests of
`/hooks/…` are therefore guarded as their body arrives, with the same rules:

- a Content-Length over WEBHOOK_MAX_BYTES, or a (chunked) body growing past it: 413 at once;
- a body that has not arrived WEBHOOK_BODY_TIMEOUT_S after the headers: 408;
- more than WEBHOOK_MAX_PENDING_BODIES bodies being read by this process: 503.

The answer is written and the connection closed; nothing reaches the application.
This relies on Daphne's request class and on Twisted's channel knowing the request's path
before its body (`_path`): `check()` names what changed on an upgrade, and runs when the
guard is installed."""

import json

import daphne
from daphne import http_protocol
from django.conf import settings
from twisted.internet import reactor

from ingest import metrics

DAPHNE_VERSION = "4.2.3"
_REASONS = {408: b"Request Timeout", 413: b"Content Too Large", 503: b"Service Unavailable"}


class DaphneIncompatible(RuntimeError):
    """The Daphne installed is not the one this guard was written for."""


def check() -> None:
    if daphne.__version__ != DAPHNE_VERSION:
        raise DaphneIncompatible(
            f"functions_ide/daphne_adapter.py was written for Daphne {DAPHNE_VERSION}, "
            f"not {daphne.__version__}: check that WebRequest still reads the whole body "
            "through gotLength/handleContentChunk/requestReceived, then update DAPHNE_VERSION."
        )
    for name in ("gotLength", "handleContentChunk", "requestReceived", "connectionLost"):
        if not callable(getattr(http_protocol.WebRequest, name, None)):
            raise DaphneIncompatible(f"Daphne's WebRequest has no {name}(): the guard cannot work.")


class _Pending:
    bodies = 0  # read in the reactor thread only


class GuardedRequest(http_protocol.WebRequest):
    _guarded = False
    _refused = False
    _timer = None

    def gotLength(self, length):  # noqa: N802 - Twisted's API
        super().gotLength(length)
        path = getattr(self.channel, "_path", b"") or b""
        if not path.startswith(b"/hooks/"):
            return
        self._webhook = not path.startswith(b"/hooks/test/")
        if length is not None and length > settings.WEBHOOK_MAX_BYTES:
            return self._refuse(413, _too_large())
        if _Pending.bodies >= settings.WEBHOOK_MAX_PENDING_BODIES:
            return self._refuse(503, "Too many webhooks are arriving at once; please retry.")
        _Pending.bodies += 1
        self._guarded, self._received = True, 0
        self._timer = reactor.callLater(settings.WEBHOOK_BODY_TIMEOUT_S, self._too_slow)

    def handleContentChunk(self, data):  # noqa: N802
        if self._refused:
            return
        if self._guarded:
            self._received += len(data)
            if self._received > settings.WEBHOOK_MAX_BYTES:
                return self._refuse(413, _too_large())
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):  # noqa: N802
        self._release()
        # Daphne never reads the form Twisted would parse from a POST's body (self.args),
        # and telling its type alone cost a tenth of a webhook's CPU (an email parser).
        self._parsePOSTFormSubmission = False
        if not self._refused:
            super().requestReceived(command, path, version)

    def connectionLost(self, reason):  # noqa: N802
        self._release()
        super().connectionLost(reason)

    def _too_slow(self) -> None:
        self._timer = None
        timeout_s = settings.WEBHOOK_BODY_TIMEOUT_S
        self._refuse(408, f"The request body did not arrive within {timeout_s:g} s.")

    def _refuse(self, status: int, message: str) -> None:
        if self._refused:
            return
        self._refused = True
        self._release()
        if getattr(self, "_webhook", False):
            metrics.webhook_refused(metrics.reason_for_status(status))
        body = json.dumps({"error": message}).encode()
        head = [
            b"HTTP/1.1 %d %s" % (status, _REASONS[status]),
            b"Content-Type: application/json",
            b"Content-Length: %d" % len(body),
            b"Connection: close",
        ]
        if status == 503:
            head.append(b"Retry-After: 1")
        transport = self.channel.transport
        transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        transport.loseConnection()

    def _release(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        if self._guarded:
            self._guarded = False
            _Pending.bodies -= 1


def _too_large() -> str:
    limit_mb = settings.WEBHOOK_MAX_BYTES / (1024 * 1024)
    return f"The request body is larger than the {limit_mb:g} MB limit."


def log_requests_once() -> None:
    """Turn off Twisted's own access log: it formats a line for every request into
    Twisted's log, which nothing here reads (the product's access log is Daphne's), and
    cost a twentieth of a webhook's CPU."""
    http_protocol.HTTPFactory.log = _not_logged


def _not_logged(factory, request) -> None:
    pass


def guard_webhook_bodies() -> None:
    """Make Daphne build GuardedRequest for every request (it looks its request class
    up by name each time it makes a connection's protocol)."""
    check()
    http_protocol.WebRequest = GuardedRequest
