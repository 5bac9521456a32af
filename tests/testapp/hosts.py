"""Host code the tests plug in: an adapter that branches on the tenant, a cache that is down.

* ``HidingUserAdapter``: for the tenants in ``HIDDEN_TENANTS``, staff users are not
  provisioned users at all (``get_queryset()`` excludes them), as a product may decide; what
  ``docs/mapping.md`` allows an adapter to do.
* ``BrokenCache``: a cache backend whose every call raises, as a Redis that is down.
"""

from __future__ import annotations

from django.core.cache.backends.base import BaseCache

from scim_provider.adapters import UserAdapter

HIDDEN_TENANTS: set[str] = set()


class HidingUserAdapter(UserAdapter):
    def get_queryset(self):
        queryset = super().get_queryset()
        if self.tenant_id in HIDDEN_TENANTS:
            queryset = queryset.exclude(user__is_staff=True)
        return queryset


class CacheDown(ConnectionError):
    pass


class BrokenCache(BaseCache):
    """Every operation fails, as a cache server that cannot be reached."""

    def __init__(self, location, params):
        super().__init__(params)

    def _down(self, *args, **kwargs):
        raise CacheDown("the cache is down")

    add = get = set = touch = delete = clear = incr = decr = _down
    get_many = set_many = delete_many = has_key = get_or_set = _down
