"""`Authorization: Bearer sfi_…`: API access with a workspace's access token.

request.auth is then the AccessToken, and catalog.access.workspace_for_request limits
the request to the token's workspace (any other workspace is a 404).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from catalog.services import token_authenticate


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
