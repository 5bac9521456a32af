"""Operations shared by the admin and the management commands: tokens, linking users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from .models import AbstractScimToken, get_tenant_model, get_token_model


class TokenNotFound(LookupError):
    pass


def find_tenant(pk: str | None):
    """The tenant with primary key ``pk`` (None for None); ``LookupError`` explains why not."""
    if pk is None:
        return None
    model = get_tenant_model()
    if model is None:
        raise LookupError("SCIM_PROVIDER['TENANT_MODEL'] is not set.")
    tenant = model._default_manager.filter(pk=pk).first()
    if tenant is None:
        raise LookupError(f"No {model._meta.verbose_name} with primary key {pk!r}.")
    return tenant


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


@dataclass
class LinkResult:
    """What ``link_existing_users`` did (or, with ``dry_run``, would do)."""

    linked: int = 0
    skipped: list[str] = field(default_factory=list)  # usernames that could not be linked
    total: int = 0  # unlinked users considered


def link_existing_users(
    *,
    tenant: Any = None,
    batch_size: int = 500,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LinkResult:
    """Give every host user without a SCIM link one, so that the IdP adopts it, not duplicates it.

    Idempotent: users already linked (in any tenant) are left alone, so a second run links
    none. Users come from the adapter's ``get_user_queryset()``, in primary-key batches of
    ``batch_size``, each batch in its own transaction (one ``bulk_create``). A user whose
    userName is empty, or already taken in the tenant by another link (case-insensitively),
    is skipped and reported. No signals are sent. ``progress(done, total)`` is called after
    each batch.
    """
    from .adapters import get_user_adapter
    from .models import ScimUser, tenant_key

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    if tenant is not None and get_tenant_model() is None:
        raise ValueError("SCIM_PROVIDER['TENANT_MODEL'] is not set: links cannot have a tenant.")
    tenant_id = tenant_key(tenant)
    adapter = get_user_adapter(tenant_id)
    relations = [name.removeprefix("user__") for name in adapter.related_names() if "__" in name]
    unlinked = (
        adapter.get_user_queryset()
        .filter(scim_link__isnull=True)
        .select_related(*relations)
        .order_by("pk")
    )
    result = LinkResult(total=unlinked.count())
    taken = set(
        ScimUser.objects.filter(tenant_id=tenant_id).values_list("user_name_key", flat=True)
    )
    done, last_pk = 0, None
    while True:
        batch = unlinked if last_pk is None else unlinked.filter(pk__gt=last_pk)
        users = list(batch[:batch_size])
        if not users:
            break
        last_pk = users[-1].pk
        links = []
        for user in users:
            link = ScimUser(user=user, tenant_id=tenant_id)
            adapter.fill_link(link, adapter.to_resource(link))
            if not link.user_name_key or link.user_name_key in taken:
                result.skipped.append(user.get_username())
                continue
            taken.add(link.user_name_key)
            links.append(link)
        if not dry_run:
            with transaction.atomic():
                ScimUser.objects.bulk_create(links)
        result.linked += len(links)
        done += len(users)
        if progress is not None:
            progress(done, result.total)
    return result
