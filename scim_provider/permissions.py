"""Permissions of SCIM views: a usable SCIM token, or open discovery when allowed."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .conf import scim_settings
from .models import AbstractScimToken


class HasScimToken(BasePermission):
    """The request was authenticated with an active, unexpired SCIM token."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, AbstractScimToken) and token.is_usable():
            return True
        # Discovery may be opened to anyone by setting.
        return getattr(view, "discovery", False) and scim_settings.ALLOW_UNAUTHENTICATED_DISCOVERY
