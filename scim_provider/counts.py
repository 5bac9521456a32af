"""``totalResults`` of unfiltered listings of large tenants, without a ``COUNT(*)`` per page.

Counting a tenant's live users is a scan of all of them: ~0.3 s at a million users on
PostgreSQL, paid by every page of an Okta import (RFC 7644 §3.4.2.4 asks for
``totalResults`` on each). So the count of an *unfiltered* listing is kept in the cache
named by ``RATE_LIMIT_CACHE`` for ``COUNT_CACHE_TIMEOUT`` seconds, once it reaches
``CACHE_FROM`` rows (smaller tenants are counted exactly every time: it is cheap), and
maintained as provisioning goes: +1 when a user or group is provisioned, the entry dropped
when one is deleted, both once the transaction has committed.

The trade-off: a change made outside the SCIM adapters (a host user deleted by hand, rows
written in bulk) shows in ``totalResults`` only when the entry expires, and so does a
provisioning that commits while a listing is recounting; with a per-process cache
(``LocMemCache``) so does what other processes provision. Share the cache between
processes (Redis, Memcached) and keep the timeout short. ``COUNT_CACHE_TIMEOUT = 0``
turns this off: every page is counted.
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete

from . import signals
from .conf import scim_settings
from .models import ScimGroup, ScimUser
from .registry import GROUP, USER

logger = logging.getLogger("scim_provider")

#: Counts below this are never cached.
CACHE_FROM = 10_000
KEY_PREFIX = "scim_provider:count"


def cache_key(resource: str, tenant_id: str) -> str:
    return f"{KEY_PREFIX}:{resource}:{tenant_id}"


def _cache():
    return caches[scim_settings.RATE_LIMIT_CACHE]


def total(adapter, queryset) -> int:
    """The number of rows of ``queryset``, the adapter's unfiltered live links."""
    timeout = scim_settings.COUNT_CACHE_TIMEOUT
    if not timeout:
        return queryset.count()
    key = cache_key(adapter.resource, adapter.tenant_id)
    try:
        cached = _cache().get(key)
    except Exception:  # the cache is down: count
        logger.exception("SCIM count cache is not available")
        cached = None
    if isinstance(cached, int):
        return cached
    counted = queryset.count()
    if counted >= CACHE_FROM:
        try:
            _cache().add(key, counted, timeout)
        except Exception:
            logger.exception("SCIM count cache is not available")
    return counted


def _on_commit(resource: str, tenant_id: str, created: bool) -> None:
    key = cache_key(resource, tenant_id or "")

    def apply() -> None:
        try:
            if created:
                _cache().incr(key)
            else:
                _cache().delete(key)
        except ValueError:  # not cached: nothing to keep up to date
            pass
        except Exception:
            logger.exception("SCIM count cache is not available")

    transaction.on_commit(apply)


def _user_provisioned(sender, adapter=None, **kwargs) -> None:
    if adapter is not None:
        _on_commit(USER, adapter.tenant_id, created=True)


def _group_created(sender, adapter=None, **kwargs) -> None:
    if adapter is not None:
        _on_commit(GROUP, adapter.tenant_id, created=True)


def _user_deleted(sender, adapter=None, **kwargs) -> None:
    if adapter is not None:
        _on_commit(USER, adapter.tenant_id, created=False)


def _group_deleted(sender, adapter=None, **kwargs) -> None:
    if adapter is not None:
        _on_commit(GROUP, adapter.tenant_id, created=False)


def _link_deleted(sender, instance=None, **kwargs) -> None:
    """A link row deleted (a host user deleted, cascading): recount next time."""
    if instance is not None and instance.deleted_at is None:
        resource = GROUP if isinstance(instance, ScimGroup) else USER
        _on_commit(resource, instance.tenant_id, created=False)


signals.user_provisioned.connect(_user_provisioned, dispatch_uid="scim_provider.counts.user")
signals.group_created.connect(_group_created, dispatch_uid="scim_provider.counts.group")
signals.user_deleted.connect(_user_deleted, dispatch_uid="scim_provider.counts.user_deleted")
signals.group_deleted.connect(_group_deleted, dispatch_uid="scim_provider.counts.group_deleted")
post_delete.connect(_link_deleted, sender=ScimUser, dispatch_uid="scim_provider.counts.u")
post_delete.connect(_link_deleted, sender=ScimGroup, dispatch_uid="scim_provider.counts.g")
