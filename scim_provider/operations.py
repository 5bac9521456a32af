"""Writes to one resource (RFC 7644 §3.3, §3.5.1, §3.5.2, §3.6), shared by the HTTP views,
``/Me`` and Bulk, so that each write has one code path.

Each function takes the adapter of the resource type (tenant-scoped) and the request's
body, checks ``If-Match`` (``version`` in Bulk) on the locked row, and returns the link
row written. They raise ``ScimError``; the caller runs them in a transaction.
"""

from __future__ import annotations

from typing import Any

from .adapters.users import changed_paths
from .conf import scim_settings
from .protocol import errors
from .protocol.patch import MultiValueDelta, apply_patch
from .protocol.serialize import etag
from .protocol.validate import Leniency, validate_resource
from .registry import GROUP


def etag_matches(header: str, value: str) -> bool:
    """Weak comparison of an ``If-Match``/``If-None-Match`` header with the etag ``value``."""
    wanted = value.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def leniency() -> Leniency:
    return Leniency.STRICT if scim_settings.LENIENCY == "strict" else Leniency.LENIENT


def validate(adapter, body: Any, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    return validate_resource(body, adapter.resource_type, leniency=leniency(), existing=existing)


def locked(adapter, scim_id: str, if_match: str | None = None):
    """The link, locked for this transaction, after the ``If-Match`` precondition (412)."""
    link = adapter.get_link(scim_id, for_update=True)
    if if_match and not etag_matches(if_match, etag(str(link.version))):
        raise errors.PreconditionFailed()
    return link


def create(adapter, body: Any):
    """POST: provision a new resource."""
    return adapter.create(validate(adapter, body))


def replace(adapter, scim_id: str, body: Any, *, if_match: str | None = None):
    """PUT: replace the resource's attributes (a group's members by difference)."""
    link = locked(adapter, scim_id, if_match)
    if adapter.resource == GROUP:
        current = adapter.to_resource(link, members=False)
        resource = validate(adapter, body, current)
        members = MultiValueDelta(replaced=resource.pop("members", []))
        changed = changed_paths(current, resource) | {"members"}
        return adapter.update(link, resource, current, members, changed)
    current = adapter.to_resource(link)
    return adapter.update(link, validate(adapter, body, current), current)


def patch(adapter, scim_id: str, body: Any, *, if_match: str | None = None):
    """PATCH: apply the operations (a group's members as deltas, never loaded)."""
    link = locked(adapter, scim_id, if_match)
    is_group = adapter.resource == GROUP
    current = adapter.to_resource(link, members=False) if is_group else adapter.to_resource(link)
    result = apply_patch(
        current,
        body,
        adapter.resource_type,
        delta_attributes=frozenset({"members"}) if is_group else frozenset(),
        max_operations=scim_settings.MAX_PATCH_OPERATIONS,
    )
    resource = validate_resource(
        result.resource, adapter.resource_type, leniency=Leniency.LENIENT, existing=current
    )
    if is_group:
        adapter.update(link, resource, current, result.deltas.get("members"), result.changed)
        return link
    return adapter.update(link, resource, current)


def delete(adapter, scim_id: str, *, if_match: str | None = None) -> None:
    """DELETE: deactivate or delete, as the adapter's settings say."""
    adapter.delete(locked(adapter, scim_id, if_match))
