"""Writes to one resource (RFC 7644 §3.3, §3.5.1, §3.5.2, §3.6), shared by the HTTP views,
``/Me`` and Bulk, so that each write has one code path.

Each function takes the adapter of the resource type (tenant-scoped) and the request's
body, locks the link (with its host row), checks ``If-Match`` (``version`` in Bulk) on the
locked row, computes the ``Change`` once with the protocol core and hands it to
``scim_provider.writes``. They raise ``ScimError``; the caller runs them in a transaction.
"""

from __future__ import annotations

from typing import Any

from . import writes
from .adapters.base import ResourceAdapter
from .conf import scim_settings
from .protocol import errors
from .protocol.changes import Change
from .protocol.patch import MultiValueDelta, apply_patch
from .protocol.serialize import etag
from .protocol.validate import Leniency, validate_resource


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


def validate(
    adapter: ResourceAdapter, body: Any, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    return validate_resource(body, adapter.resource_type, leniency=leniency(), existing=existing)


def locked(adapter: ResourceAdapter, scim_id: str, if_match: str | None = None):
    """The link, locked for this transaction, after the ``If-Match`` precondition (412)."""
    link = adapter.get_link(scim_id, for_update=True)
    if if_match and not etag_matches(if_match, etag(str(link.version))):
        raise errors.PreconditionFailed()
    return link


def whole(
    adapter: ResourceAdapter, current: dict[str, Any] | None, resource: dict[str, Any]
) -> Change:
    """The change to the whole ``resource`` (POST, PUT): its delta attribute, if any, is
    replaced by what the body holds (nothing: emptied)."""
    name = adapter.delta_attribute
    delta = MultiValueDelta(replaced=resource.pop(name, None) or []) if name else None
    return Change.between(current, resource, adapter.resource_type, delta=delta, delta_name=name)


def create(adapter: ResourceAdapter, body: Any):
    """POST: provision a new resource."""
    return writes.create(adapter, whole(adapter, None, validate(adapter, body)))


def replace(adapter: ResourceAdapter, scim_id: str, body: Any, *, if_match: str | None = None):
    """PUT: replace the resource's attributes (a group's members by difference)."""
    link = locked(adapter, scim_id, if_match)
    current = adapter.to_resource(link)
    change = whole(adapter, current, validate(adapter, body, current))
    return writes.update(adapter, link, change)


def patch(adapter: ResourceAdapter, scim_id: str, body: Any, *, if_match: str | None = None):
    """PATCH: apply the operations (a delta attribute as deltas, never loaded)."""
    link = locked(adapter, scim_id, if_match)
    current = adapter.to_resource(link)
    name = adapter.delta_attribute
    result = apply_patch(
        current,
        body,
        adapter.resource_type,
        delta_attributes=frozenset({name}) if name else frozenset(),
        max_operations=scim_settings.MAX_PATCH_OPERATIONS,
    )
    resource = validate_resource(
        result.resource, adapter.resource_type, leniency=Leniency.LENIENT, existing=current
    )
    change = Change(resource, current, frozenset(result.changed), result.deltas.get(name))
    return writes.update(adapter, link, change)


def delete(adapter: ResourceAdapter, scim_id: str, *, if_match: str | None = None) -> None:
    """DELETE: deactivate or delete, as the adapter's settings say."""
    writes.delete(adapter, locked(adapter, scim_id, if_match))
