"""Linking existing host users to SCIM before an identity provider is turned on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from ..models import (
    ScimUser,
    get_tenant_model,
    tenant_key,
)
from ..protocol.errors import ScimError


@dataclass
class LinkResult:
    """What ``link_existing_users`` did (or, with ``dry_run``, would do)."""

    linked: int = 0
    skipped: list[str] = field(default_factory=list)  # usernames that could not be linked
    total: int = 0  # unlinked users considered
    # (username, reason) of the users the adapter's ``adoption_refusal`` refused.
    refused: list[tuple[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # usernames linked (or to link)


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
    is skipped and reported; one the adapter's ``adoption_refusal`` refuses (staff,
    superusers, users outside the tenant's verified domains) is refused and reported. No
    signals are sent. ``progress(done, total)`` is called after each batch.
    """
    from .. import multivalued
    from ..adapters import get_user_adapter

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    if tenant is not None and get_tenant_model() is None:
        raise ValueError("SCIM_PROVIDER['TENANT_MODEL'] is not set: links cannot have a tenant.")
    tenant_id = tenant_key(tenant)
    adapter = get_user_adapter(tenant_id)
    relations = [name.removeprefix("user__") for name in adapter.related_names() if "__" in name]
    unlinked = adapter.get_user_queryset().filter(scim_link__isnull=True).order_by("pk")
    if relations:
        unlinked = unlinked.select_related(*relations)
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
            if reason := adapter.adoption_refusal(user):
                result.refused.append((user.get_username(), reason))
                continue
            link = ScimUser(user=user, tenant_id=tenant_id)
            try:
                adapter.fill_link(link, adapter.to_resource(link))
            except ScimError:  # a value too long for the link's columns
                result.skipped.append(user.get_username())
                continue
            if not link.user_name_key or link.user_name_key in taken:
                result.skipped.append(user.get_username())
                continue
            taken.add(link.user_name_key)
            links.append(link)
            result.names.append(user.get_username())
        if not dry_run:
            with transaction.atomic():
                ScimUser.objects.bulk_create(links)
                multivalued.sync_links(adapter, links)
        result.linked += len(links)
        done += len(users)
        if progress is not None:
            progress(done, result.total)
    return result
