"""Who acted (``Actor``), the audit log (``audit``), and finding a tenant by key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from ..models import (
    ScimAuditEntry,
    get_tenant_model,
    tenant_key,
)
from ..network import client_ip


@dataclass(frozen=True)
class Actor:
    """Who performs an operation, for the audit log and the signals: a user and an address.

    ``Actor()`` is the system (a command, a scheduled job).
    """

    user: Any = None
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> Actor:
        user = getattr(request, "user", None)
        user = user if user is not None and user.is_authenticated else None
        return cls(user=user, ip=client_ip(request))

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user is not None else ""

    def signal_kwargs(self) -> dict[str, Any]:
        return {"user": self.user, "ip": self.ip}


def audit(
    tenant: Any, action: str, actor: Actor | None = None, *, token=None, **detail: Any
) -> ScimAuditEntry:
    """Write one audit entry: ``action`` on ``tenant`` (a tenant or its key) by ``actor``."""
    actor = actor or Actor()
    return ScimAuditEntry.objects.create(
        tenant_id=tenant_key(tenant),
        action=action,
        actor=actor.user,
        actor_name=actor.name[:255],
        ip=actor.ip,
        token_pk=str(token.pk) if token is not None else "",
        token_prefix=token.display_prefix if token is not None else "",
        detail={k: str(v) for k, v in detail.items()},
    )


def find_tenant(pk: str | None):
    """The tenant with primary key ``pk`` (None for None); ``LookupError`` explains why not."""
    if pk is None:
        return None
    model = get_tenant_model()
    if model is None:
        raise LookupError("SCIM_PROVIDER['TENANT_MODEL'] is not set.")
    try:
        key = model._meta.pk.to_python(pk)
    except ValidationError:
        raise LookupError(
            f"{pk!r} is not a primary key of {model._meta.verbose_name} (a tenant is named by "
            "its primary key)."
        ) from None
    tenant = model._default_manager.filter(pk=key).first()
    if tenant is None:
        raise LookupError(f"No {model._meta.verbose_name} with primary key {pk!r}.")
    return tenant
