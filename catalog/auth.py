"""How users prove who they are.

- A password, through ThrottledModelBackend: Django's ModelBackend, refusing while too
  many logins failed for the account or the client (catalog.login_throttle).
- `Authorization: Bearer sfi_…`: API access with a workspace's access token.
  request.auth is then the AccessToken, and catalog.access.workspace_for_request limits
  the request to the token's workspace (any other workspace is a 404).
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from catalog import login_throttle
from catalog.services import token_authenticate


class ThrottledModelBackend(ModelBackend):
    """Checks passwords like ModelBackend, unless the account or the client is locked
    out; counts each failure. It answers every password check itself: a refusal stops
    Django's authenticate() there (settings lists ModelBackend after it only so that
    sessions made before it keep working)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:  # no client to count: management code, the test client's login()
            return super().authenticate(request, username, password, **kwargs)
        lockout = login_throttle.check(request, username)
        if lockout is not None:
            request.login_lockout = lockout
            raise PermissionDenied("Too many failed logins.")
        user = super().authenticate(request, username, password, **kwargs)
        if user is None:
            login_throttle.record_failure(request, username)
            # This failure may be the one that reaches the limit: say so at once.
            request.login_lockout = login_throttle.check(request, username)
            raise PermissionDenied("Wrong email or password.")
        return user


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the token as 'Authorization: Bearer <token>'."
            )
        token = token_authenticate(header[1].decode("latin-1"))
        if token is None:
            raise exceptions.AuthenticationFailed("This token is unknown or was revoked.")
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace access token (sfi_…), limited to its workspace.",
        }
