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

import contextlib
from typing import TYPE_CHECKING

from django.db import transaction

from .conf import scim_settings
from .models import ScimGroup
from .registry import GROUP, USER
from .sharedcache import fail_open

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter
    from .writes import Write

#: Counts below this are never cached.
CACHE_FROM = 10_000
KEY_PREFIX = "scim_provider:count"


def cache_key(resource: str, tenant_id: str) -> str:
    return f"{KEY_PREFIX}:{resource}:{tenant_id}"


def total(adapter: ResourceAdapter, queryset) -> int:
    """The number of rows of ``queryset``, the adapter's unfiltered live links."""
    timeout = scim_settings.COUNT_CACHE_TIMEOUT
    if not timeout:
        return queryset.count()
    key = cache_key(adapter.resource, adapter.tenant_id)
    cached = fail_open("counts", lambda cache: cache.get(key), None)
    if isinstance(cached, int):
        return cached
    counted = queryset.count()
    if counted >= CACHE_FROM:
        fail_open("counts", lambda cache: cache.add(key, counted, timeout), False)
    return counted


def _on_commit(resource: str, tenant_id: str, created: bool) -> None:
    key = cache_key(resource, tenant_id or "")

    def change(cache) -> None:
        if not created:
            cache.delete(key)
            return
        with contextlib.suppress(ValueError):  # not cached: nothing to keep up to date
            cache.incr(key)

    transaction.on_commit(lambda: fail_open("counts", change, None))


def apply(write: Write) -> None:
    """Step of the write path: +1 for a provisioned resource, the entry dropped for a
    deleted one, once the transaction has committed."""
    if write.created or write.deleted:
        _on_commit(write.adapter.resource, write.tenant_id, created=write.created)


def link_deleted(sender, instance=None, **kwargs) -> None:
    """A link row deleted outside the write path (a host user deleted, cascading):
    recount next time. Connected in ``ScimProviderConfig.ready()``."""
    if instance is not None and instance.deleted_at is None:
        resource = GROUP if isinstance(instance, ScimGroup) else USER
        _on_commit(resource, instance.tenant_id, created=False)
