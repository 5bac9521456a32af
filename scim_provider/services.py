"""Operations shared by the admin, the management commands and the self-service pages and API:
tokens (create, rotate, revoke), the per-tenant SCIM switch, the audit log, the request log
of a tenant, and linking users.

Token operations write a ``ScimAuditEntry`` and send the token signals
(``scim_provider.signals.token_created`` ...) inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import signals
from .conf import scim_settings
from .models import (
    AbstractScimToken,
    ScimAuditEntry,
    ScimGroup,
    ScimTenantSettings,
    ScimUser,
    get_tenant_model,
    get_token_model,
    tenant_key,
)
from .protocol.errors import ScimError


class TokenNotFound(LookupError):
    pass


class TokenNotUsable(ValueError):
    """A revoked or expired token cannot be rotated."""


@dataclass(frozen=True)
class Actor:
    """Who performs an operation, for the audit log and the signals: a user and an address.

    ``Actor()`` is the system (a command, a scheduled job).
    """

    user: Any = None
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> Actor:
        try:  # the proxy-aware address (NUM_PROXIES), when available
            from .throttling import client_ip
        except ImportError:  # pragma: no cover
            from .authentication import client_ip

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


def create_token(
    name: str,
    *,
    expires_in_days: int | None = None,
    expires_at=None,
    tenant: Any = None,
    created_by=None,
    actor: Actor | None = None,
) -> tuple[AbstractScimToken, str]:
    """Create a token and return ``(token, plaintext)``; only the digest is stored.

    Audited and announced (``token_created``); ``actor`` defaults to ``created_by``.
    """
    if tenant is not None and get_tenant_model() is None:
        raise ValueError("SCIM_PROVIDER['TENANT_MODEL'] is not set: tokens cannot have a tenant.")
    actor = actor or Actor(user=created_by)
    with transaction.atomic():
        token, plaintext = get_token_model()._default_manager.create_token(
            name,
            expires_in_days=expires_in_days,
            expires_at=expires_at,
            tenant=tenant,
            created_by=created_by or actor.user,
        )
        audit(token.tenant_id, ScimAuditEntry.TOKEN_CREATED, actor, token=token, name=name)
        signals.token_created.send(
            sender=type(token), token=token, tenant_id=token.tenant_id, **actor.signal_kwargs()
        )
    return token, plaintext


def find_token(identifier: str) -> AbstractScimToken:
    """A token by id, key or displayed prefix (e.g. ``scim_Ab3dE5gH9k``)."""
    tokens = get_token_model()._default_manager
    query = Q(key=identifier) | Q(display_prefix=identifier)
    if identifier.isdigit() and int(identifier) < 2**63:
        query |= Q(pk=int(identifier))
    matches = list(tokens.filter(query)[:2])
    if len(matches) != 1:
        raise TokenNotFound(f"No single SCIM token matches {identifier!r}.")
    return matches[0]


def revoke_token(identifier: str, *, actor: Actor | None = None) -> tuple[AbstractScimToken, bool]:
    """Revoke a token; return it and whether it was active before."""
    token = find_token(identifier)
    return token, revoke(token, actor=actor)


def revoke(token: AbstractScimToken, *, actor: Actor | None = None) -> bool:
    """Revoke ``token`` (audited, ``token_revoked``); False if it already was revoked."""
    actor = actor or Actor()
    with transaction.atomic():
        if not token.revoke():
            return False
        audit(token.tenant_id, ScimAuditEntry.TOKEN_REVOKED, actor, token=token)
        signals.token_revoked.send(
            sender=type(token), token=token, tenant_id=token.tenant_id, **actor.signal_kwargs()
        )
    return True


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
    from . import multivalued
    from .adapters import get_user_adapter
    from .models import ScimUser, tenant_key

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


# Self-service: the SCIM switch, tenant tokens, rotation, activity, counts -----------------


def scim_enabled(tenant: Any) -> bool:
    """Whether SCIM is enabled for ``tenant`` (``TENANT_ENABLED_BY_DEFAULT`` without a row)."""
    from .permissions import tenant_enabled

    return tenant_enabled(tenant_key(tenant))


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


def tenant_tokens(tenant: Any, *, include_revoked: bool = True) -> QuerySet:
    """The tokens of ``tenant``, newest first (``last_used_at`` and ``last_used_ip`` included)."""
    return list_tokens(include_revoked=include_revoked).filter(tenant_id=tenant_key(tenant))


def get_tenant_token(tenant: Any, pk: Any) -> AbstractScimToken:
    """The token ``pk`` of ``tenant``; ``TokenNotFound`` for another tenant's token."""
    model = get_token_model()
    try:
        key = model._meta.pk.to_python(pk)
    except Exception as exc:  # a malformed id is not found
        raise TokenNotFound(f"No SCIM token {pk!r}.") from exc
    token = tenant_tokens(tenant).filter(pk=key).first()
    if token is None:
        raise TokenNotFound(f"No SCIM token {pk!r}.")
    return token


def rotate_token(
    token: AbstractScimToken,
    *,
    grace_seconds: int | None = None,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> tuple[AbstractScimToken, str]:
    """Replace ``token`` with a new one; return ``(new token, plaintext)``.

    The old token keeps working for ``grace_seconds`` (``TOKEN_ROTATION_GRACE_SECONDS``), so
    that the identity provider can be updated without downtime: its ``expires_at`` becomes
    ``now + grace`` (or stays, if sooner). The new token has the same name, tenant and
    lifetime (a 90-day token gives a 90-day token; one that never expired gets
    ``TOKEN_DEFAULT_EXPIRY_DAYS``, like any new token). A token is rotated once: rotating it
    again (or a revoked or expired one) raises ``TokenNotUsable``.
    """
    actor = actor or Actor()
    now = now or timezone.now()
    grace = scim_settings.TOKEN_ROTATION_GRACE_SECONDS if grace_seconds is None else grace_seconds
    if grace < 0:
        raise ValueError("grace_seconds must be 0 or more.")
    grace_until = now + timedelta(seconds=grace)
    manager = get_token_model()._default_manager
    with transaction.atomic():
        old = manager.select_for_update().filter(pk=token.pk).first()
        if old is None or not old.is_usable(now):
            raise TokenNotUsable("Only an active token can be rotated.")
        if rotated_token_pks([old.pk]):
            raise TokenNotUsable("This token was already rotated: rotate its successor.")
        lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
        new, plaintext = manager.create_token(
            old.name,
            tenant=old.tenant_id or None,
            created_by=actor.user,
            expires_at=now + lifetime if lifetime is not None else None,
        )
        if old.expires_at is None or old.expires_at > grace_until:
            old.expires_at = grace_until
            manager.filter(pk=old.pk).update(expires_at=grace_until)
        token.expires_at = old.expires_at
        audit(
            old.tenant_id,
            ScimAuditEntry.TOKEN_ROTATED,
            actor,
            token=old,
            new_token=new.display_prefix,
            grace_until=old.expires_at.isoformat(),
        )
        signals.token_rotated.send(
            sender=type(new),
            token=new,
            previous=old,
            grace_until=old.expires_at,
            tenant_id=old.tenant_id,
            **actor.signal_kwargs(),
        )
    return new, plaintext


def rotated_token_pks(pks) -> set[str]:
    """Of the token primary keys ``pks``, those that were rotated (their successor exists)."""
    return set(
        ScimAuditEntry.objects.filter(
            action=ScimAuditEntry.TOKEN_ROTATED, token_pk__in=[str(pk) for pk in pks]
        ).values_list("token_pk", flat=True)
    )


def tokens_expiring(days: int, *, now: datetime | None = None) -> list[AbstractScimToken]:
    """Active tokens that expire within ``days`` days, soonest first, except tokens that were
    rotated (their expiry is the rotation's grace period, not news)."""
    now = now or timezone.now()
    candidates = list(
        get_token_model()
        ._default_manager.filter(
            revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + timedelta(days=days)
        )
        .order_by("expires_at", "pk")
    )
    rotated = rotated_token_pks(t.pk for t in candidates)
    return [t for t in candidates if str(t.pk) not in rotated]


def _thresholds(days: int | Iterable[int]) -> list[int]:
    values = sorted({days} if isinstance(days, int) else set(days))
    if not values or any(isinstance(d, bool) or not isinstance(d, int) or d < 0 for d in values):
        raise ValueError("days must be one or more whole numbers of days, 0 or more.")
    return values


def notify_expiring_tokens(
    days: int | Iterable[int],
    *,
    now: datetime | None = None,
    force: bool = False,
) -> list[AbstractScimToken]:
    """Send ``token_expiring`` once per token and threshold; return the tokens announced.

    ``days`` is one threshold or several (``[30, 7, 1]``). A token that expires within the
    largest is announced for the smallest threshold it is within (``threshold_days``), unless
    a notice for that threshold or a smaller one was already sent for its current expiry:
    a daily run announces a token expiring in 20 days once for 30, again when it is within
    7, and again within 1, never twice for the same threshold. A token whose expiry is moved
    is announced afresh. Each notice is a ``ScimAuditEntry`` (action ``token_expiring``,
    detail ``threshold_days`` and ``expires_at``), written with the signal in one
    transaction, with the token's row locked so that concurrent runs do not both send.
    ``force``: send (and record) even when already sent.
    """
    now = now or timezone.now()
    thresholds = _thresholds(days)
    model = get_token_model()
    sent = []
    for token in tokens_expiring(thresholds[-1], now=now):
        threshold = next(d for d in thresholds if token.expires_at <= now + timedelta(days=d))
        with transaction.atomic():
            locked = list(
                model._default_manager.select_for_update()
                .filter(pk=token.pk, revoked_at__isnull=True, expires_at=token.expires_at)
                .values_list("pk", flat=True)
            )
            if not locked:  # revoked or changed since: the next run sees it as it is
                continue
            expires = token.expires_at.isoformat()
            if not force and _expiry_notified(token, expires, threshold):
                continue
            days_left = (token.expires_at - now).days
            audit(
                token.tenant_id,
                ScimAuditEntry.TOKEN_EXPIRING,
                token=token,
                threshold_days=threshold,
                expires_at=expires,
                days_left=days_left,
            )
            signals.token_expiring.send(
                sender=type(token),
                token=token,
                tenant_id=token.tenant_id,
                expires_at=token.expires_at,
                days_left=days_left,
                threshold_days=threshold,
            )
        sent.append(token)
    return sent


def _expiry_notified(token: AbstractScimToken, expires: str, threshold: int) -> bool:
    """Whether a notice for ``threshold`` days or fewer was sent for this expiry of ``token``."""
    details = ScimAuditEntry.objects.filter(
        action=ScimAuditEntry.TOKEN_EXPIRING, token_pk=str(token.pk)
    ).values_list("detail", flat=True)
    for detail in details:
        try:
            if detail.get("expires_at") == expires and int(detail["threshold_days"]) <= threshold:
                return True
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return False


def request_log_model():
    """The request log model; a clear error when this version has none."""
    from . import models

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
