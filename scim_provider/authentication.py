"""Authenticating identity providers by SCIM token.

Accepted ``Authorization`` forms:

* ``Bearer <token>``: Okta "OAuth Bearer Token", Entra "Secret Token";
* ``Basic base64(apikey:<token>)``: Okta Basic auth; the username is
  ``SCIM_PROVIDER["BASIC_AUTH_USERNAME"]`` (default ``apikey``);
* ``<token>``: Okta "Header Auth", where the admin types the bare token.

Following DRF, ``authenticate()`` returns ``(client, token)`` or None when no
credential was presented; a credential that is malformed, unknown, expired or
revoked raises ``AuthenticationFailed`` (rendered as a SCIM 401). The token is
never logged or echoed in an error.
"""

from __future__ import annotations

import base64
import binascii

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from .conf import scim_settings
from .models import get_token_model
from .network import client_ip

REALM = "SCIM"


class ScimClient:
    """The caller of a SCIM request: an identity provider holding ``token``."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, token) -> None:
        self.token = token
        self.tenant_id = token.tenant_id

    def __str__(self) -> str:
        return f"SCIM client {self.token.display_prefix}…"


def credential_from_header(header: str) -> str:
    """The token presented in an ``Authorization`` header value.

    Raises ``AuthenticationFailed`` for a malformed header.
    """
    scheme, _, rest = header.strip().partition(" ")
    rest = rest.strip()
    if scheme.lower() == "bearer":
        if not rest or " " in rest:
            raise exceptions.AuthenticationFailed("Malformed Bearer credentials.")
        return rest
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from None
        username, sep, password = decoded.partition(":")
        if not sep or not password:
            raise exceptions.AuthenticationFailed("Malformed Basic credentials.")
        if username != scim_settings.BASIC_AUTH_USERNAME:
            raise exceptions.AuthenticationFailed(
                f"Basic auth must use the username {scim_settings.BASIC_AUTH_USERNAME!r} "
                "and the SCIM token as the password."
            )
        return password
    if rest:  # an unknown scheme with a value after it
        raise exceptions.AuthenticationFailed(
            "Unsupported authorization scheme: use Bearer or Basic."
        )
    return scheme  # Okta "Header Auth": the bare token


class ScimTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None
        plaintext = credential_from_header(header)
        token = get_token_model()._default_manager.get_for_plaintext(plaintext)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid SCIM token.")
        if token.is_revoked:
            raise exceptions.AuthenticationFailed("This SCIM token has been revoked.")
        if token.is_expired():
            raise exceptions.AuthenticationFailed("This SCIM token has expired.")
        token.record_use(client_ip(request))
        return ScimClient(token), token

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{REALM}"'
