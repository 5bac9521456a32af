"""Paging: index-based (RFC 7644 §3.4.2.4) or cursor-based (RFC 9865).

Index-based: ``startIndex`` (1-based) and ``count``.

``startIndex`` below 1 is read as 1; a negative ``count`` as 0; ``count`` above
``MAX_PAGE_SIZE`` is clamped to it (advertised as ``filter.maxResults``). Anything that is
not an integer is a 400 ``invalidValue``. ``totalResults`` comes from a ``COUNT``; the page
from ``LIMIT/OFFSET`` over a stable order, so the table is never loaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .conf import scim_settings
from .protocol import errors


@dataclass(frozen=True)
class Page:
    start_index: int
    count: int

    @property
    def offset(self) -> int:
        return self.start_index - 1


def _integer(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise errors.InvalidValue(f"{name} must be an integer.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise errors.InvalidValue(f"{name} must be an integer, not {str(value)[:40]!r}.") from None
    return max(min(number, 2**62), -(2**62))


def page_from(params: dict[str, Any]) -> Page:
    """The page a list request asks for (query parameters or a ``.search`` body)."""
    start = _integer("startIndex", params.get("startIndex"))
    count = _integer("count", params.get("count"))
    if count is None:
        count = scim_settings.DEFAULT_PAGE_SIZE
    return Page(
        start_index=max(1, start or 1),
        count=min(max(0, count), scim_settings.MAX_PAGE_SIZE),
    )


@dataclass(frozen=True)
class CursorPage:
    """A cursor page (RFC 9865 §2): ``cursor`` is ``""`` for the first page."""

    cursor: str
    count: int

    @property
    def first(self) -> bool:
        return self.cursor == ""


def paging_from(params: dict[str, Any]) -> Page | CursorPage:
    """Index or cursor paging, as the request asks (``cursor``/``startIndex``) or, when it
    sends neither, as ``DEFAULT_PAGINATION`` says. ``count`` is read and clamped alike."""
    cursor = params.get("cursor")
    start = params.get("startIndex")
    has_start = start is not None and start != ""
    if cursor is None and (has_start or scim_settings.DEFAULT_PAGINATION == "index"):
        return page_from(params)
    if not scim_settings.CURSOR_PAGINATION:
        raise errors.InvalidCursor("Cursor pagination is not enabled: use startIndex.")
    if has_start:
        raise errors.InvalidValue("Send either cursor or startIndex, not both.")
    if cursor is not None and not isinstance(cursor, str):
        raise errors.InvalidCursor("cursor must be a string (empty for the first page).")
    page = page_from({"count": params.get("count")})
    return CursorPage(cursor=(cursor or "").strip(), count=page.count)


# Bookmarks: index paging at the cost of keyset paging -----------------------------------
#
# Okta imports with startIndex=1, 101, 201, ...: with OFFSET, page n reads n pages of the
# index, so a whole import is quadratic (seconds per page at 1M users). After each page in
# the default order, the primary key of its last row is remembered in the shared cache
# under the query's scope and the index where the next page starts; a request for that
# index then reads ``pk > bookmark LIMIT count``, one range scan at any depth. Without a
# bookmark (another process's cache, expiry, a jump) it falls back to OFFSET.


def _bookmark_key(scope, start_offset: int) -> str:
    return "scim_provider:bookmark:" + ":".join([*scope.as_list(), str(start_offset)])


def bookmark(scope, offset: int) -> int | None:
    """The primary key the page starting at ``offset`` (0-based) continues after, if known."""
    from django.core.cache import caches

    if not offset:
        return None
    try:
        value = caches[scim_settings.RATE_LIMIT_CACHE].get(_bookmark_key(scope, offset))
    except Exception:  # the cache is down: fail open (OFFSET)
        logging.getLogger("scim_provider").exception("SCIM page bookmarks are not available")
        return None
    return value if isinstance(value, int) else None


def remember(scope, next_offset: int, last_pk: int) -> None:
    """Remember that the page starting at ``next_offset`` continues after ``last_pk``."""
    from django.core.cache import caches

    try:
        caches[scim_settings.RATE_LIMIT_CACHE].set(
            _bookmark_key(scope, next_offset), last_pk, scim_settings.CURSOR_TIMEOUT
        )
    except Exception:  # the cache is down: fail open (no bookmark)
        logging.getLogger("scim_provider").exception("SCIM page bookmarks are not available")
