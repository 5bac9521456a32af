"""Cursor pagination (RFC 9865): opaque, signed, expiring keyset cursors.

A cursor says "the rows after primary key *k*" of one query. It is a
``django.core.signing`` token (HMAC with ``SECRET_KEY``, salted, timestamped), so a client
can neither forge nor alter it, and it is bound to what it was issued for: the SCIM token
(its primary key), the tenant, the resource type and a digest of the query (``filter``,
``sortBy``, ``sortOrder``, ``attributes``, ``excludedAttributes``). Presented with anything
else, or altered, it is a 400 ``invalidCursor``; older than ``CURSOR_TIMEOUT`` seconds, a 400
``expiredCursor``. ``count`` may change from page to page.

RFC 9865 §2 allows only unreserved URI characters in a cursor: Django's ``:`` separators
are written as ``~``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core import signing

from .conf import scim_settings
from .protocol import errors

SALT = "scim_provider.cursor"
#: The query parameters a cursor is bound to (``count`` is not one of them).
BOUND_PARAMETERS = ("filter", "sortBy", "sortOrder", "attributes", "excludedAttributes")


@dataclass(frozen=True)
class CursorScope:
    """What a cursor is valid for: one token, tenant, resource type and query."""

    token: str
    tenant: str
    resource: str
    query: str

    @classmethod
    def of(cls, token, resource: str, params: dict[str, Any]) -> CursorScope:
        bound = {name: params.get(name) for name in BOUND_PARAMETERS}
        digest = hashlib.sha256(json.dumps(bound, sort_keys=True, default=str).encode())
        return cls(str(token.pk), str(token.tenant_id), resource, digest.hexdigest()[:32])

    def as_list(self) -> list[str]:
        return [self.token, self.tenant, self.resource, self.query]


def issue(scope: CursorScope, after: int) -> str:
    """The cursor of the rows whose primary key is greater than ``after``."""
    value = signing.dumps([*scope.as_list(), after], salt=SALT, compress=True)
    return value.replace(":", "~")


def read(cursor: str, scope: CursorScope) -> int:
    """The primary key ``cursor`` continues after; 400 if it is not valid for ``scope``."""
    if not isinstance(cursor, str) or ":" in cursor:
        raise errors.InvalidCursor("The cursor was not issued by this service provider.")
    try:
        payload = signing.loads(
            cursor.replace("~", ":"), salt=SALT, max_age=scim_settings.CURSOR_TIMEOUT
        )
    except signing.SignatureExpired:
        raise errors.ExpiredCursor(
            f"The cursor is older than {scim_settings.CURSOR_TIMEOUT} seconds: "
            "start again with an empty cursor."
        ) from None
    except signing.BadSignature:
        raise errors.InvalidCursor("The cursor is malformed or was altered.") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 5
        or payload[:4] != scope.as_list()
        or not isinstance(payload[4], int)
    ):
        raise errors.InvalidCursor(
            "The cursor was issued for another token, tenant, resource type or query "
            "(filter, sortBy, attributes): repeat the query of the first page."
        )
    return payload[4]
