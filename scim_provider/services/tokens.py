"""SCIM tokens: create, find, revoke, rotate (with a grace period), expiry notices.

Each operation writes a ``ScimAuditEntry`` and sends its token signal
(``scim_provider.signals.token_created`` ...) inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .. import signals
from ..conf import scim_settings
from ..models import (
    AbstractScimToken,
    ScimAuditEntry,
    get_tenant_model,
    get_token_model,
    tenant_key,
)
from .audit import Actor, audit


class TokenNotFound(LookupError):
    pass


class TokenNotUsable(ValueError):
    """A revoked or expired token cannot be rotated."""


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
