"""Which sites may open a websocket with the user's session: exactly those Django's CSRF
check lets POST (issue 18.14).

Channels' AllowedHostsOriginValidator compares only the Origin's host name with
ALLOWED_HOSTS: another port or scheme of an allowed host passed, any site did with
`ALLOWED_HOSTS=*`, and CSRF_TRUSTED_ORIGINS counted for nothing. Here the handshake is
seen as Django sees an HTTP request (Host checked against ALLOWED_HOSTS, the scheme
from SECURE_PROXY_SSL_HEADER) and its Origin is judged by the CSRF middleware's own
check: the same origin as the Host, or one of CSRF_TRUSTED_ORIGINS. A handshake without
Origin is refused: browsers always send one, and there is no CSRF token to fall back on.
tests/security/test_websocket_origin.py compares the two verdicts origin by origin.
"""

import io

from channels.security.websocket import WebsocketDenier
from django.core.handlers.asgi import ASGIRequest
from django.middleware.csrf import CsrfViewMiddleware


class CsrfOriginValidator:
    def __init__(self, application) -> None:
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and origin_is_trusted(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def origin_is_trusted(scope: dict) -> bool:
    secure = scope.get("scheme") in ("wss", "https")
    request = ASGIRequest(
        {**scope, "type": "http", "method": "GET", "scheme": "https" if secure else "http"},
        io.BytesIO(),
    )
    if "HTTP_ORIGIN" not in request.META:
        return False
    if "HTTP_HOST" not in request.META and "SERVER_NAME" not in request.META:
        return False  # no host to be the same origin as
    # The middleware's own check (a private method, stable since Django 4.0), made
    # anew each time so that settings changed at run time (tests) are seen.
    return CsrfViewMiddleware(lambda request: None)._origin_verified(request)
