"""Token operations shared by the admin, the management commands and (later) the APIs."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import AbstractScimToken, get_tenant_model, get_token_model


class TokenNotFound(LookupError):
    pass


def create_token(
    name: str,
    *,
    expires_in_days: int | None = None,
    tenant: Any = None,
    created_by=None,
) -> tuple[AbstractScimToken, str]:
    """Create a token and return ``(token, plaintext)``; only the digest is stored."""
    if tenant is not None and get_tenant_model() is None:
        raise ValueError("SCIM_PROVIDER['TENANT_MODEL'] is not set: tokens cannot have a tenant.")
    return get_token_model()._default_manager.create_token(
        name, expires_in_days=expires_in_days, tenant=tenant, created_by=created_by
    )


def find_token(identifier: str) -> AbstractScimToken:
    """A token by id, key or displayed prefix (e.g. ``scim_Ab3dE5gH9k``)."""
    tokens = get_token_model()._default_manager
    query = Q(key=identifier) | Q(display_prefix=identifier)
    if identifier.isdigit():
        query |= Q(pk=int(identifier))
    matches = list(tokens.filter(query)[:2])
    if len(matches) != 1:
        raise TokenNotFound(f"No single SCIM token matches {identifier!r}.")
    return matches[0]


def revoke_token(identifier: str) -> tuple[AbstractScimToken, bool]:
    """Revoke a token; return it and whether it was active before."""
    token = find_token(identifier)
    return token, token.revoke()


def list_tokens(*, include_revoked: bool = True) -> QuerySet:
    tokens = get_token_model()._default_manager.all()
    if not include_revoked:
        tokens = tokens.filter(revoked_at__isnull=True)
    return tokens.order_by("-created_at")
