"""The cache SCIM's shortcuts share between processes (``RATE_LIMIT_CACHE``), failing open.

Rate limits, page bookmarks and cached counts are shortcuts: each has an answer without the
cache (no limit, ``OFFSET``, a ``COUNT``). So a cache that is down must never fail a SCIM
request: every use goes through ``fail_open``, which logs the failure at WARNING and
answers the shortcut's default.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import BaseCache, caches

from .conf import scim_settings

logger = logging.getLogger("scim_provider")
T = TypeVar("T")


def shared_cache() -> BaseCache:
    return caches[scim_settings.RATE_LIMIT_CACHE]


def fail_open(what: str, call: Callable[[BaseCache], T], default: T) -> T:
    """``call(cache)``, or ``default`` (logged) when the cache raises."""
    try:
        return call(shared_cache())
    except Exception:
        logger.warning("SCIM %s: the cache is not available", what, exc_info=True)
        return default
