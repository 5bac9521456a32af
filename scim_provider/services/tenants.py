"""A tenant's SCIM switch, its request and audit logs, and its counts (self-service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..conf import scim_settings
from ..models import (
    ScimAuditEntry,
    ScimGroup,
    ScimTenantSettings,
    ScimUser,
    tenant_key,
)
from .audit import Actor, audit


def scim_enabled(tenant: Any) -> bool:
    """Whether SCIM is enabled for ``tenant`` (a tenant or its key, '' when not
    multi-tenant): ``TENANT_ENABLED_BY_DEFAULT`` without a row."""
    rows = ScimTenantSettings.objects.filter(tenant_id=tenant_key(tenant))
    row = rows.values_list("enabled").first()
    return scim_settings.TENANT_ENABLED_BY_DEFAULT if row is None else row[0]


def set_scim_enabled(tenant: Any, enabled: bool, *, actor: Actor | None = None) -> bool:
    """Enable or disable SCIM for ``tenant``; return whether that changed anything.

    A disabled tenant's tokens get 403 from the SCIM API; they are not revoked.
    """
    actor = actor or Actor()
    tenant_id = tenant_key(tenant)
    with transaction.atomic():
        if scim_enabled(tenant_id) == enabled:
            return False
        ScimTenantSettings.objects.update_or_create(
            tenant_id=tenant_id,
            defaults={"enabled": enabled, "updated_at": timezone.now(), "updated_by": actor.user},
        )
        action = ScimAuditEntry.SCIM_ENABLED if enabled else ScimAuditEntry.SCIM_DISABLED
        audit(tenant_id, action, actor)
    return True


def request_log_model():
    """The request log model; a clear error when this version has none."""
    from .. import models

    model = getattr(models, "ScimRequestLog", None)
    if model is None:  # pragma: no cover
        raise LookupError("This version of scim_provider has no request log (ScimRequestLog).")
    return model


def tenant_requests(
    tenant: Any,
    *,
    errors_only: bool = False,
    method: str | None = None,
    status: int | None = None,
    resource_type: str | None = None,
    token_prefix: str | None = None,
    since: datetime | None = None,
) -> QuerySet:
    """The logged SCIM requests of ``tenant``, newest first (bodies stored redacted).

    What is logged is ``REQUEST_LOG``'s choice: errors only by default in some setups; set
    it to ``"all"`` to see every request, reads included.
    """
    rows = request_log_model().objects.filter(tenant_id=tenant_key(tenant))
    if errors_only:
        rows = rows.filter(status__gte=400)
    if method:
        rows = rows.filter(method=method.upper())
    if status:
        rows = rows.filter(status=status)
    if resource_type:
        rows = rows.filter(resource_type=resource_type)
    if token_prefix:
        rows = rows.filter(token_prefix=token_prefix)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return rows.order_by("-created_at", "-pk")


def tenant_audit_log(tenant: Any) -> QuerySet:
    return ScimAuditEntry.objects.filter(tenant_id=tenant_key(tenant)).order_by(
        "-created_at", "-pk"
    )


@dataclass(frozen=True)
class TenantCounts:
    """What the identity provider provisioned for a tenant."""

    users_active: int
    users_deactivated: int
    users_deleted: int
    groups: int
    groups_deleted: int


def tenant_counts(tenant: Any) -> TenantCounts:
    """Users (active, deactivated, deleted) and groups (live, deleted) of ``tenant``: 2 queries.

    A user counts as deactivated when its host user is inactive (``is_active``, when the user
    model has it) but its SCIM link is not deleted.
    """
    tenant_id = tenant_key(tenant)
    live, gone = Q(deleted_at__isnull=True), Q(deleted_at__isnull=False)
    has_active = any(f.name == "is_active" for f in get_user_model()._meta.concrete_fields)
    inactive = Q(user__is_active=False) if has_active else Q(pk__in=[])
    users = ScimUser.objects.filter(tenant_id=tenant_id).aggregate(
        active=Count("pk", filter=live & ~inactive),
        deactivated=Count("pk", filter=live & inactive),
        deleted=Count("pk", filter=gone),
    )
    groups = ScimGroup.objects.filter(tenant_id=tenant_id).aggregate(
        live=Count("pk", filter=live), deleted=Count("pk", filter=gone)
    )
    return TenantCounts(
        users_active=users["active"],
        users_deactivated=users["deactivated"],
        users_deleted=users["deleted"],
        groups=groups["live"],
        groups_deleted=groups["deleted"],
    )
