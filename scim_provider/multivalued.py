"""Multi-valued attributes where SQL reaches every value (RFC 7644 §3.4.2.2).

A filter on a multi-valued attribute matches a resource when *any* of its values matches:
``emails.value eq "x"``, ``emails[type eq "work" and value co "x"]``, ``roles pr``. The
values of every multi-valued attribute of the registry (``emails``, ``phoneNumbers``,
``addresses``, ``roles``, ``entitlements``... and registered ones, extensions included)
are kept one row per value in ``ScimValue``, next to the link's JSON, so that the query
compiler (``scim_provider.query``) can test each value in one indexed subquery. A user's
``groups`` and a group's ``members`` are read from ``ScimMembership`` the same way.

Not kept (a filter on them is 400 ``invalidFilter``): attributes ``returned: never``,
and attributes a host maps as a whole onto its own model (a field or a getter/setter
holding the list), whose values change without SCIM knowing. An attribute whose primary
element is mapped (``emails[primary].value`` on ``User.email``) is kept: its rows are
written from the resource as GET returns it, the host's value included.

Writing: ``sync_values(adapter, link, changed)`` after the adapter saved a link rewrites
the rows of the multi-valued attributes in ``changed`` (every one when ``changed`` is
None), and does nothing when none of them changed: one ``DELETE`` and one ``INSERT`` at
most. ``sync_links`` does it for links inserted in bulk (``scim_link_users``).
``element_rows`` is the pure function from a resource to rows, shared with the migration
that filled the table (``0008_multivalued_values``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Case, Q, Value, When

from .mapping import set_value
from .models import VALUE_KEY_LENGTH, ScimMembership, ScimValue
from .protocol.filters import present
from .protocol.schemas import Attribute, Schema
from .query import JSON_KINDS, Column
from .registry import GROUP, USER, registry

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter

__all__ = [
    "Elements",
    "Stored",
    "element_rows",
    "elements_for",
    "stored_attributes",
    "sync_links",
    "sync_values",
]

#: Sub-attribute types compared as text (RFC 7643 §2.3).
TEXT_TYPES = frozenset({"string", "reference", "binary", "dateTime"})


@dataclass(frozen=True)
class Stored:
    """A multi-valued attribute kept in ``ScimValue``: ``emails``, ``urn:...:User:badges``,
    or a multi-valued sub-attribute such as ``profile.tags``."""

    urn: str | None  # None: the core schema
    attribute: str
    sub: str | None
    definition: Attribute  # the multi-valued attribute (or sub-attribute) itself

    @property
    def top(self) -> str:
        """The top-level name, as ``changed`` sets spell it."""
        return f"{self.urn}:{self.attribute}" if self.urn else self.attribute

    @property
    def key(self) -> str:
        """``ScimValue.attribute``: the canonical path."""
        return f"{self.top}.{self.sub}" if self.sub else self.top

    def touched_by(self, changed: Iterable[str]) -> bool:
        top = self.top.casefold()
        urn = (self.urn or "").casefold()
        for path in changed:
            path = path.casefold()
            if path in (top, urn) or path.startswith(top + "."):
                return True
        return False


def stored_attributes(adapter: ResourceAdapter) -> tuple[Stored, ...]:
    """The multi-valued attributes of ``adapter``'s resource type kept in ``ScimValue``."""
    return registry.memo(("multivalued", type(adapter)), partial(_stored_attributes, adapter))


def _stored_attributes(adapter: ResourceAdapter) -> tuple[Stored, ...]:
    whole = {
        (m.path.urn, m.path.attribute, m.path.sub_attribute)
        for m in adapter.mappings
        if not m.path.primary
    }
    resource_type = adapter.resource_type
    longest = ScimValue._meta.get_field("attribute").max_length
    found = []
    for schema in resource_type.all_schemas():
        urn = None if schema is resource_type.schema else schema.id
        for attribute in schema.attributes:
            candidates = (
                [(attribute, None)]
                if attribute.multi_valued
                else [(sub, sub.name) for sub in attribute.sub_attributes if sub.multi_valued]
            )
            for definition, sub in candidates:
                spec = Stored(urn, attribute.name, sub, definition)
                on_demand = urn is None and sub is None and attribute.name == adapter.on_demand
                mapped = {(urn, attribute.name, None), (urn, attribute.name, sub)} & whole
                if _keepable(definition) and not (on_demand or mapped) and len(spec.key) <= longest:
                    found.append(spec)
    return tuple(found)


def _keepable(attribute: Attribute) -> bool:
    return attribute.returned != "never" and all(
        sub.type != "complex" for sub in attribute.sub_attributes
    )


# Rows --------------------------------------------------------------------------------------


def _values(spec: Stored, resource: dict[str, Any]) -> list:
    container = resource.get(spec.urn) if spec.urn else resource
    value = container.get(spec.attribute) if isinstance(container, dict) else None
    if spec.sub is not None:
        value = value.get(spec.sub) if isinstance(value, dict) else None
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def element_rows(spec: Stored, resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``ScimValue`` fields (without the owner) of each value of ``spec`` in the
    normalized ``resource``, in order."""
    rows = []
    for position, element in enumerate(_values(spec, resource)):
        if element is None:
            continue
        if isinstance(element, dict):
            raw, data = element.get("value"), element
        else:
            raw, data = element, {"value": element}
        text = raw if isinstance(raw, str) else None
        folded = text.casefold() if text is not None else None
        rows.append(
            {
                "attribute": spec.key,
                "position": position,
                "value": text,
                "folded": folded,
                "key": folded[:VALUE_KEY_LENGTH] if folded is not None else None,
                "data": data,
                "present": present(element),
            }
        )
    return rows


def _owner(adapter: ResourceAdapter) -> str:
    return "user" if adapter.resource == USER else "group"


def _resource(adapter: ResourceAdapter, link) -> dict[str, Any]:
    """``link``'s resource as GET returns it, without the on-demand attribute."""
    return adapter.to_resource(link, on_demand=False)


def sync_values(
    adapter: ResourceAdapter, link, changed: Iterable[str] | None = None, *, created=False
) -> None:
    """Rewrite ``link``'s ``ScimValue`` rows of the multi-valued attributes in ``changed``
    (top-level paths, as ``changed_paths`` gives them; None: all), from the resource
    as now saved. ``created``: the link is new, it has no rows to delete."""
    specs = stored_attributes(adapter)
    if changed is not None:
        changed = list(changed)
        specs = tuple(spec for spec in specs if spec.touched_by(changed))
    if not specs:
        return
    owner = _owner(adapter)
    resource = _resource(adapter, link)
    rows = [
        ScimValue(**{owner: link}, **row) for spec in specs for row in element_rows(spec, resource)
    ]
    if not created:
        ScimValue.objects.filter(
            **{owner: link}, attribute__in=[spec.key for spec in specs]
        ).delete()
    if rows:
        ScimValue.objects.bulk_create(rows)


def sync_links(adapter: ResourceAdapter, links: list) -> None:
    """Insert the rows of ``links``, user links just saved by ``bulk_create``."""
    if any(link.pk is None for link in links):  # a database that returns no new keys
        saved = dict(
            adapter.link_model.objects.filter(user__in=[link.user for link in links]).values_list(
                "user_id", "pk"
            )
        )
        for link in links:
            link.pk = saved[link.user_id]
    write_rows(adapter, links, partial(_resource, adapter))


def write_rows(
    adapter: ResourceAdapter, links: Iterable, resource_of, model=ScimValue, using=None
) -> int:
    """Insert the rows of each of ``links`` from ``resource_of(link)``, in batches;
    return how many. ``model`` is ``ScimValue`` or, in a migration, its historical model."""
    specs = stored_attributes(adapter)
    owner = _owner(adapter)
    manager = model._default_manager.db_manager(using)
    batch: list = []
    written = 0
    for link in links:
        resource = resource_of(link)
        batch += [
            model(**{owner: link}, **row) for spec in specs for row in element_rows(spec, resource)
        ]
        if len(batch) >= 2000:
            written += len(manager.bulk_create(batch))
            batch = []
    if batch:
        written += len(manager.bulk_create(batch))
    return written


def rebuild(using: str | None = None) -> int:
    """Rewrite every row from the resources as they read now (``scim_sync_values``): after
    the host changed mapped fields outside SCIM, or its attribute registry."""
    from .adapters.groups import get_group_adapter
    from .adapters.users import get_user_adapter
    from .models import ScimGroup, ScimUser

    written = 0
    with transaction.atomic(using=using):
        ScimValue.objects.using(using).all().delete()
        for adapter, model in ((get_user_adapter(), ScimUser), (get_group_adapter(), ScimGroup)):
            links = model.objects.using(using).order_by("pk")
            if adapter.related_names():
                links = links.select_related(*adapter.related_names())
            written += write_rows(
                adapter, links.iterator(chunk_size=2000), partial(_resource, adapter), using=using
            )
    return written


def backfill(apps, schema_editor) -> None:
    """Migration ``0008_multivalued_values``: the rows of every existing link.

    Links are the historical models; each resource is its JSON with the mapped primary
    values (``emails[primary].value`` on ``User.email``) read from the host's fields, as
    GET does (a getter-mapped value keeps the copy in the JSON).
    """
    from .adapters.groups import get_group_adapter
    from .adapters.users import get_user_adapter

    using = schema_editor.connection.alias
    value_model = apps.get_model("scim_provider", "ScimValue")
    for adapter, name in ((get_user_adapter(), "ScimUser"), (get_group_adapter(), "ScimGroup")):
        links = apps.get_model("scim_provider", name)._default_manager.using(using)
        if adapter.resource == USER:
            links = links.select_related("user")
        links = links.order_by("pk").iterator(chunk_size=2000)
        write_rows(adapter, links, partial(_stored_resource, adapter), value_model, using)


def _stored_resource(adapter: ResourceAdapter, link) -> dict[str, Any]:
    """A historical link's resource: its JSON, and the host's mapped primary values."""
    from .adapters.base import UNASSIGNED, is_private

    stored = link.attributes if isinstance(link.attributes, dict) else {}
    resource = {key: value for key, value in stored.items() if not is_private(key)}
    host = getattr(link, "user", None) if adapter.resource == USER else None
    unassigned = set(stored.get(UNASSIGNED) or ())
    for mapping in adapter.mappings:
        if host is None or not (mapping.path.primary and mapping.field):
            continue
        if str(mapping.path) in unassigned:
            continue
        try:
            value = mapping.read(host)
        except (AttributeError, LookupError, ObjectDoesNotExist):
            continue  # a relation the historical model lacks: the JSON's copy stays
        set_value(resource, mapping.path, value)
    return resource


# Reading: where a filter finds the values of one attribute --------------------------------


@dataclass(frozen=True)
class Elements:
    """The rows holding the values of one multi-valued attribute, one per value.

    ``model`` rows point at the link through ``owner``; ``where`` selects the attribute's
    (and live) rows; ``columns`` maps a sub-attribute name (None: the value itself) to its
    ``Column`` on ``model``, or None when it cannot be filtered; ``first`` orders a
    resource's rows so that the first is the one ``sortBy`` uses (RFC 7644 §3.4.2.3: the
    primary value, else the first).
    """

    name: str
    model: type
    owner: str
    where: Q
    columns: dict[str | None, Column | None]
    present: Q
    first: tuple

    def column(self, sub: str | None) -> Column | None:
        return self.columns.get(sub.casefold() if sub else None)

    def rows(self, condition: Q):
        """The owners' primary keys of the rows matching ``condition``."""
        rows = self.model._default_manager.filter(self.where & condition)
        return rows.values(f"{self.owner}_id")


def _text_column(lookup: str, attribute: Attribute) -> Column:
    return Column(lookup, "exact" if attribute.case_exact else "text", blank=None)


def _sub_column(sub: Attribute) -> Column | None:
    """A sub-attribute other than ``value``, in the element's JSON ``data``."""
    if sub.returned == "never" or sub.multi_valued or sub.type == "complex":
        return None
    lookup = f"data__{sub.name}"
    if sub.type in TEXT_TYPES:
        return _text_column(lookup, sub)
    return Column(lookup, JSON_KINDS.get(sub.type, "text"), blank=None)


def _value_column(attribute: Attribute) -> Column | None:
    """The element's value (``value``, or the element of a simple attribute)."""
    if attribute.returned == "never":
        return None
    if attribute.type in ("string", "reference", "binary"):
        if attribute.case_exact:
            return Column("value", "exact", blank=None, key="key")
        return Column("folded", "casefold", blank=None, key="key")
    return _sub_column(dataclasses.replace(attribute, name="value", multi_valued=False))


def _stored_elements(adapter: ResourceAdapter, spec: Stored) -> Elements:
    definition = spec.definition
    columns: dict[str | None, Column | None] = {}
    if definition.type == "complex":
        for sub in definition.sub_attributes:
            column = _value_column(sub) if sub.name == "value" else _sub_column(sub)
            columns[sub.name.casefold()] = column
        columns[None] = columns.get("value")
    else:
        columns[None] = _value_column(definition)
    primary_first = Case(When(data__primary=True, then=Value(0)), default=Value(1))
    return Elements(
        name=spec.key,
        model=ScimValue,
        owner=_owner(adapter),
        where=Q(attribute=spec.key),
        columns=columns,
        present=Q(present=True),
        first=(primary_first.asc(), "position", "pk"),
    )


def _membership_elements(adapter: ResourceAdapter) -> Elements:
    """A user's ``groups`` or a group's ``members``: the memberships of live resources.

    ``type`` is the same for every value (``direct``, ``User``); a member's ``display`` is
    not returned and ``$ref`` is a URL built per request, so neither can be filtered.
    """
    users = adapter.resource == USER
    owner, other = ("user", "group") if users else ("group", "user")
    value = Column(f"{other}__scim_id", "uuid", blank=None)
    columns = {None: value, "value": value}
    columns["type"] = Column("", "constant", constant="direct" if users else "User")
    if users:
        columns["display"] = Column("group__display_name_key", "folded")
    return Elements(
        name=adapter.on_demand,
        model=ScimMembership,
        owner=owner,
        where=Q(**{f"{other}__deleted_at__isnull": True}),
        columns=columns,
        present=~Q(pk__in=[]),
        first=("pk",),
    )


def elements_for(
    adapter, schema: Schema, attribute: Attribute, sub: Attribute | None
) -> Elements | None:
    """Where the values of the multi-valued ``attribute`` (or ``attribute.sub``) are; None
    when they are not kept where SQL reaches them."""
    key = ("elements", type(adapter), schema.id, attribute.name, sub.name if sub else None)
    return registry.memo(key, partial(_elements_for, adapter, schema, attribute, sub))


def _elements_for(
    adapter, schema: Schema, attribute: Attribute, sub: Attribute | None
) -> Elements | None:
    core = schema.id == adapter.resource_type.schema.id
    if core and attribute.name == adapter.on_demand:
        return _membership_elements(adapter) if adapter.resource in (USER, GROUP) else None
    urn = None if core else schema.id
    for spec in stored_attributes(adapter):
        if (spec.urn, spec.attribute) != (urn, attribute.name):
            continue
        if spec.sub is None or (sub is not None and spec.sub == sub.name):
            return _stored_elements(adapter, spec)
    return None
