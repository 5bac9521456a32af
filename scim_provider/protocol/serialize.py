"""Resources and lists on the wire (RFC 7643 §3.1, RFC 7644 §3.4.2, §3.4.2.5, §3.4.3).

``serialize`` turns a normalized resource into its JSON document: ``schemas`` (core URN
plus the URNs of the extensions present), ``id``, ``externalId``, the attributes in schema
order, extension objects, then ``meta``. ``select_attributes`` applies the ``attributes`` /
``excludedAttributes`` query parameters with the ``returned`` rules of RFC 7643 §7:

* ``never`` (``password``): never output;
* ``always`` (``id``; ``schemas`` too): always output, whatever is asked;
* ``default``: output unless excluded, or unless ``attributes`` is given and omits it;
* ``request``: output only when named in ``attributes``.

Names are case-insensitive and may be URN-qualified (``urn:...:enterprise:2.0:User:manager``),
dotted (``name.givenName``, ``meta.lastModified``) or a bare schema URN (the whole extension).
Names that do not resolve are ignored, like unknown query parameters (``check_names`` refuses
names that are not attribute paths at all, before). RFC 7644 §3.4.2.5 says
clients SHOULD NOT send both parameters; when they do, ``attributes`` wins and
``excludedAttributes`` is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from scim_provider.protocol.errors import InvalidPath, InvalidValue
from scim_provider.protocol.paths import parse_attribute_path
from scim_provider.protocol.schemas import (
    COMMON_ATTRIBUTES,
    LIST_RESPONSE_URN,
    Attribute,
    ResourceType,
    Schema,
)
from scim_provider.protocol.values import json_copy

__all__ = [
    "check_names",
    "etag",
    "format_datetime",
    "list_response",
    "select_attributes",
    "serialize",
]

# A selected name, canonical: (schema URN, attribute or None for the whole schema, sub or None).
_Name = tuple[str, str | None, str | None]


def serialize(
    resource: dict[str, Any],
    resource_type: ResourceType,
    *,
    id: str,
    location: str,
    created: datetime,
    last_modified: datetime,
    version: str | None = None,
    attributes: list[str] | None = None,
    excluded_attributes: list[str] | None = None,
    copy: bool = True,
) -> dict[str, Any]:
    """The JSON document of ``resource`` (normalized, as ``validate_resource`` returns it).

    The document shares nothing with ``resource``, unless ``copy=False``: for a caller
    that built ``resource`` for this document only and drops it (a response being
    rendered), which saves copying every value.
    """
    core = resource_type.schema
    document: dict[str, Any] = {"schemas": [core.id], "id": id}
    copied = json_copy if copy else _as_is
    document.update(_in_schema_order(resource_type.document_order, resource, copied))
    for schema, _required in resource_type.extensions:
        values = resource.get(schema.id)
        if isinstance(values, dict) and (
            extension := _in_schema_order(schema.attributes, values, copied)
        ):
            document[schema.id] = extension
    meta = {
        "resourceType": resource_type.name,
        "created": format_datetime(created),
        "lastModified": format_datetime(last_modified),
        "location": location,
    }
    if version is not None:
        meta["version"] = etag(version)
    document["meta"] = meta

    selected = attributes is not None or excluded_attributes is not None
    if selected or not resource_type.unreturned_keys.isdisjoint(document):
        document = select_attributes(document, resource_type, attributes, excluded_attributes)
    extensions = [schema.id for schema, _required in resource_type.extensions]
    document["schemas"] = [core.id, *(urn for urn in extensions if urn in document)]
    return document


def _in_schema_order(
    attributes: Iterable[Attribute], values: dict[str, Any], copied: Callable[[Any], Any]
) -> dict[str, Any]:
    """The assigned ``values`` (through ``copied``), keyed and ordered as ``attributes``."""
    return {
        attribute.name: copied(values[attribute.name])
        for attribute in attributes
        if values.get(attribute.name) not in (None, [], {})
    }


def _as_is(value: Any) -> Any:
    return value


def select_attributes(
    resource: dict[str, Any],
    resource_type: ResourceType,
    attributes: list[str] | None = None,
    excluded_attributes: list[str] | None = None,
) -> dict[str, Any]:
    """``resource`` with only the attributes to return (see the module docstring).

    Works on a serialized document (``schemas``, ``id`` and ``meta`` included) or on a
    normalized resource; keys that are not attributes of ``resource_type`` are left out.
    """
    requested = _resolve_names(attributes, resource_type) if attributes else None
    excluded = set() if attributes else _resolve_names(excluded_attributes or [], resource_type)
    core = resource_type.schema
    result: dict[str, Any] = {}
    for key, value in resource.items():
        if key == "schemas":
            result[key] = value
            continue
        schema = resource_type.schema_for(key)
        if schema is not None and schema is not core and isinstance(value, dict):
            pairs = [(schema.attribute(name), sub_value) for name, sub_value in value.items()]
        else:
            attribute = core.attribute(key) or _common_attribute(key)
            schema, pairs = core, [(attribute, value)]
        kept = {}
        for attribute, attribute_value in pairs:
            if attribute is not None:
                selected = _select(schema, attribute, attribute_value, requested, excluded)
                if selected is not None:
                    kept[attribute.name] = selected
        if kept and schema is core:
            result.update(kept)
        elif kept:
            result[schema.id] = kept
    return result


def check_names(names: Iterable[str], parameter: str) -> None:
    """Raise ``InvalidValue`` naming the first of ``names`` (the values of ``parameter``,
    ``attributes`` or ``excludedAttributes``) that is not an attribute path (RFC 7644
    §3.10: ``[URN ":"] name ["." subName]``) or a schema URN. Unknown names are fine."""
    for name in (part.strip() for text in names for part in text.split(",")):
        if not name:
            continue
        try:
            parse_attribute_path(name)
        except InvalidPath:
            shown = name if len(name) <= 100 else name[:100] + "..."
            raise InvalidValue(f"{parameter}: {shown!r} is not an attribute name.") from None


def _common_attribute(name: str) -> Attribute | None:
    return next((attribute for attribute in COMMON_ATTRIBUTES if attribute.name == name), None)


def _resolve_names(names: Iterable[str], resource_type: ResourceType) -> set[_Name]:
    """Canonical names of comma-separated ``names``; unresolvable names are ignored."""
    resolved: set[_Name] = set()
    for text in (part.strip() for name in names for part in name.split(",")):
        if not text:
            continue
        schema = resource_type.schema_for(text)
        if schema is not None:
            resolved.add((schema.id, None, None))
            continue
        try:
            schema, attribute, sub = resource_type.resolve(parse_attribute_path(text))
        except InvalidPath:
            continue
        resolved.add((schema.id, attribute.name, sub.name if sub else None))
    return resolved


def _select(
    schema: Schema,
    attribute: Attribute,
    value: Any,
    requested: set[_Name] | None,
    excluded: set[_Name],
) -> Any:
    """What to output of ``attribute``'s ``value``: the value, part of it, or ``None``."""
    if attribute.returned == "never":
        return None
    whole = {(schema.id, None, None), (schema.id, attribute.name, None)}
    named = requested if requested is not None else excluded
    subs = {sub for urn, name, sub in named if sub and (urn, name) == (schema.id, attribute.name)}
    if attribute.returned == "always" or (requested is not None and whole & requested):
        return _filter_subs(attribute, value, lambda sub: sub.returned != "never")
    if requested is not None:
        if not subs:
            return None
        return _filter_subs(
            attribute, value, lambda sub: sub.returned == "always" or sub.name in subs
        )
    if attribute.returned == "request" or whole & excluded:
        return None
    return _filter_subs(
        attribute,
        value,
        lambda sub: (
            sub.returned == "always" or (sub.returned == "default" and sub.name not in subs)
        ),
    )


def _filter_subs(attribute: Attribute, value: Any, keep: Callable[[Attribute], bool]) -> Any:
    """``value`` with only the sub-attributes ``keep`` accepts; ``None`` if nothing is left."""
    if attribute.type != "complex":
        return value
    # Decided once per sub-attribute name, not once per element (a group's members).
    decisions: dict[str, bool] = {}

    def keeps(name: str) -> bool:
        if name not in decisions:
            sub = attribute.sub_attribute(name)
            decisions[name] = sub is not None and keep(sub)
        return decisions[name]

    def one(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        return {name: sub_value for name, sub_value in item.items() if keeps(name)} or None

    if isinstance(value, list):
        items = [kept for item in value if (kept := one(item)) is not None]
        return items or None
    return one(value)


def list_response(
    resources: list[dict[str, Any]],
    *,
    total_results: int,
    start_index: int,
    items_per_page: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2); ``Resources`` is present even when empty.

    ``extra`` adds keys such as RFC 9865's ``nextCursor``.
    """
    response: dict[str, Any] = {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total_results,
        "startIndex": start_index,
        "itemsPerPage": len(resources) if items_per_page is None else items_per_page,
        "Resources": resources,
    }
    if extra:
        response.update(extra)
    return response


def etag(version: str) -> str:
    """The weak entity tag of ``version`` (RFC 7644 §3.14), e.g. ``W/"3"``."""
    return f'W/"{version}"'


def format_datetime(dt: datetime) -> str:
    """``dt`` as an xsd:dateTime in UTC with a ``Z`` (RFC 7643 §2.3.5).

    Naive datetimes are taken as UTC. Microseconds are kept when present, so a value
    returned in ``meta.lastModified`` compares exactly in a later filter.
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
