"""Permissions of SCIM views: a usable SCIM token of an enabled tenant, or open discovery."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .conf import scim_settings
from .models import AbstractScimToken
from .services.tenants import scim_enabled

DISABLED_MESSAGE = (
    "SCIM provisioning is disabled for this account: an administrator can enable it "
    "in the SCIM settings."
)


def token_tenant_enabled(token: AbstractScimToken) -> bool:
    """Whether SCIM is enabled for the token's tenant, read from the annotation that
    ``get_for_plaintext`` adds (no query), or from the database."""
    if not hasattr(token, "scim_tenant_enabled"):
        return scim_enabled(token.tenant_id)
    if token.scim_tenant_enabled is None:
        return scim_settings.TENANT_ENABLED_BY_DEFAULT
    return bool(token.scim_tenant_enabled)


class HasScimToken(BasePermission):
    """The request was authenticated with an active, unexpired SCIM token whose tenant
    has SCIM enabled (403 otherwise)."""

    message = DISABLED_MESSAGE

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, AbstractScimToken) and token.is_usable():
            return token_tenant_enabled(token)
        # Discovery may be opened to anyone by setting.
        return getattr(view, "discovery", False) and scim_settings.ALLOW_UNAUTHENTICATED_DISCOVERY
