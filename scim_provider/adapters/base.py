"""What every resource adapter shares: tenant scope, link lookup, filter columns, JSON storage.

A *link* row (``ScimUser``, ``ScimGroup``) carries the SCIM side of a resource: its UUID
``scim_id``, ``externalId``, tenant, soft-delete state, version and the attributes no
mapping stores on the host (``attributes``, JSON). Subclasses say which link model they use
and which host model the mappings of the registry apply to.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.utils import timezone

from .. import multivalued
from ..compiled import CompiledQuery
from ..mapping import Mapping, get_value, remove_value, set_value
from ..protocol import errors
from ..protocol.schemas import Attribute, ResourceType, Schema
from ..protocol.values import json_copy
from ..query import Column
from ..registry import registry

# Keys of a link's JSON that are not SCIM attributes start with "_" (SCIM names start with a
# letter, so they cannot clash). UNASSIGNED lists mapped attributes the client left
# unassigned; other private keys (e.g. roles' "_direct") survive every write.
UNASSIGNED = "_unassigned"


def is_private(key: str) -> bool:
    return key.startswith("_")


def lower(value: Any) -> str:
    return value.lower() if isinstance(value, str) else ""


def field_kind(model_field: models.Field, case_exact: bool) -> str:
    """How a filter compares values of ``model_field``."""
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return "number"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    return "exact" if case_exact else "text"


JSON_KINDS = {"boolean": "boolean", "integer": "number", "decimal": "number"}


def json_column(urn: str | None, attribute: Attribute, sub: Attribute | None) -> Column | None:
    """A column for a single-valued attribute kept in the link's JSON ``attributes``."""
    leaf = sub or attribute
    if attribute.multi_valued or leaf.type == "complex" or leaf.returned == "never":
        return None
    keys = [urn] if urn else []
    keys += [attribute.name] + ([sub.name] if sub else [])
    kind = JSON_KINDS.get(leaf.type) or ("exact" if leaf.case_exact else "text")
    return Column("attributes__" + "__".join(keys), kind, blank=None)


@CompiledQuery
def link_by_id(key: tuple, tenant_id: str, scim_id: uuid.UUID) -> QuerySet:
    """A live link by SCIM id, with its host object; ``key`` is (adapter class, for update)."""
    adapter_class, for_update = key
    adapter = adapter_class(tenant_id)
    return adapter.locked(adapter.get_queryset(), for_update).filter(scim_id=scim_id)


class BaseAdapter:
    """Tenant-scoped access to one resource type's link rows."""

    resource: str
    link_model: type[models.Model]
    #: The link's foreign key to the host object, for ``select_related`` and filters.
    host_relation: str | None = None
    #: Top-level keys never stored in the link's JSON.
    unstored = ("externalId",)
    #: The multi-valued attribute read only when asked (a user's ``groups``, a group's
    #: ``members``): ``prefetch(links)`` loads it as ``link.prefetched``.
    on_demand: str

    def __init__(self, tenant_id: str = "", *, reference=None) -> None:
        self.tenant_id = tenant_id
        #: ``reference(resource, scim_id) -> URL`` for ``$ref`` values (set by the views).
        self.reference = reference

    def ref(self, resource: str, scim_id: Any) -> dict[str, str]:
        """A ``{"$ref": url}`` to merge into a reference, when URLs can be built."""
        return {"$ref": self.reference(resource, str(scim_id))} if self.reference else {}

    @property
    def model(self) -> type[models.Model] | None:
        """The host model the mappings apply to (None: nothing is mirrored)."""
        raise NotImplementedError

    @property
    def resource_type(self) -> ResourceType:
        return registry.resource_type(self.resource)

    @property
    def mappings(self) -> tuple[Mapping, ...]:
        model = self.model
        return registry.mappings(self.resource, model) if model is not None else ()

    def related_names(self) -> list[str]:
        """``select_related`` paths from the link row: the host object and mapped relations."""
        if self.host_relation is None:
            return []
        relations = {m.relation for m in self.mappings if m.relation}
        return [self.host_relation, *(f"{self.host_relation}__{r}" for r in sorted(relations))]

    # Reading ----------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet:
        """Live (not deleted) links of this tenant."""
        return self.link_model._default_manager.filter(
            tenant_id=self.tenant_id, deleted_at__isnull=True
        )

    def get_link(self, scim_id: str, *, for_update: bool = False):
        """The live link with SCIM id ``scim_id`` (locked with ``for_update``), else 404.

        Compiled once per adapter class (``scim_provider.compiled``): ``get_queryset()``
        and ``related_names()`` must depend only on the tenant, settings and the registry.
        """
        try:
            wanted = uuid.UUID(scim_id)
        except ValueError:
            wanted = None
        found = link_by_id((type(self), for_update), self.tenant_id, wanted) if wanted else None
        if not found:
            raise errors.NotFound(f"{self.resource} {scim_id!r} not found.")
        return found[0]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` joined to the host object and mapped relations, when there are any
        (``select_related()`` with no names would follow every relation)."""
        names = self.related_names()
        return queryset.select_related(*names) if names else queryset

    def locked(self, queryset: QuerySet, for_update: bool) -> QuerySet:
        queryset = self.with_related(queryset)
        return queryset.select_for_update(of=("self",)) if for_update else queryset

    def prefetch(self, links: list) -> None:
        """Set ``link.prefetched`` (the ``on_demand`` values) on each of ``links``."""
        raise NotImplementedError

    def add_on_demand(self, link, resource: dict[str, Any]) -> None:
        """Put ``link``'s ``on_demand`` values into ``resource``, read if not yet."""
        if not hasattr(link, "prefetched"):
            self.prefetch([link])
        if link.prefetched:
            resource[self.on_demand] = link.prefetched

    def host_object(self, link) -> models.Model | None:
        return getattr(link, self.host_relation) if self.host_relation else None

    def read_mapped(self, link, resource: dict[str, Any]) -> dict[str, Any]:
        """``resource`` with the mapped attributes read from the host object.

        Attributes a client removed although their host field always holds a value
        (``active`` on ``is_active``) are listed under ``UNASSIGNED`` and stay absent.
        """
        unassigned = set((link.attributes or {}).get(UNASSIGNED, ()))
        host = self.host_object(link)
        if host is not None:
            for mapping in self.mappings:
                if str(mapping.path) not in unassigned:
                    set_value(resource, mapping.path, mapping.read(host))
        return resource

    def base_resource(self, link) -> dict[str, Any]:
        """The JSON-kept attributes and ``externalId`` of ``link`` (without private keys)."""
        stored = link.attributes if isinstance(link.attributes, dict) else {}
        resource = {k: json_copy(v) for k, v in stored.items() if not is_private(k)}
        if link.external_id:
            resource["externalId"] = link.external_id
        return resource

    # Filters ----------------------------------------------------------------------------

    def filter_column(
        self, schema: Schema, attribute: Attribute, sub: Attribute | None
    ) -> Column | None:
        """Where a filter or ``sortBy`` on this attribute is evaluated (None: not filterable)."""
        core = schema.id == self.resource_type.schema.id
        name, sub_name = attribute.name, sub.name if sub else None
        if core:
            column = self.link_column(name, sub_name)
            if column is not None:
                return column
        urn = None if core else schema.id
        for mapping in self.mappings:
            path = mapping.path
            if (path.urn, path.attribute, path.sub_attribute) == (urn, name, sub_name):
                if mapping.lookup is None or path.primary or self.host_relation is None:
                    return None
                return Column(
                    f"{self.host_relation}__{mapping.lookup}",
                    field_kind(mapping.model_field, (sub or attribute).case_exact),
                    blank=None if mapping.model_field.null else "",
                )
        return json_column(urn, attribute, sub)

    def elements(self, schema: Schema, attribute: Attribute, sub: Attribute | None):
        """Where the values of a multi-valued attribute are, one row each (None: not
        filterable); see ``scim_provider.multivalued``."""
        return multivalued.elements_for(self, schema, attribute, sub)

    def link_column(self, name: str, sub: str | None) -> Column | None:
        """Columns of the link row behind core attributes."""
        if name == "id":
            return Column("scim_id", "uuid", blank=None)
        if name == "externalId":
            return Column("external_id", "exact")
        if name == "meta":
            lookup = {"created": "created_at", "lastModified": "updated_at"}.get(sub or "")
            return Column(lookup, "datetime", blank=None) if lookup else None
        return None

    # Writing ----------------------------------------------------------------------------

    def stored_attributes(self, resource: dict[str, Any]) -> dict[str, Any]:
        """What is kept as JSON on the link: everything no mapping or column holds."""
        stored = json_copy(resource)
        for key in self.unstored:
            stored.pop(key, None)
        for mapping in self.mappings:
            remove_value(stored, mapping.path)
        return stored

    def unassigned_paths(self, resource: dict[str, Any]) -> list[str]:
        """Mapped attributes ``resource`` leaves out whose host field cannot be empty."""
        return [
            str(m.path)
            for m in self.mappings
            if m.always_assigned and get_value(resource, m.path) is None
        ]

    def fill_link(self, link, resource: dict[str, Any]) -> None:
        """Copy the link's own columns from ``resource``; bump the version of saved links."""
        link.external_id = (resource.get("externalId") or "")[:255]
        kept = {
            key: value
            for key, value in (link.attributes or {}).items()
            if is_private(key) and key != UNASSIGNED
        }
        # Removing ``active`` from an existing user leaves it unassigned on read; a new
        # user without it simply gets the field's default (active), and shows it.
        unassigned = self.unassigned_paths(resource) if link.pk else []
        link.attributes = {
            **self.stored_attributes(resource),
            **kept,
            **({UNASSIGNED: unassigned} if unassigned else {}),
        }
        link.updated_at = timezone.now()
        if link.pk:
            link.version = (link.version or 0) + 1


@contextmanager
def uniqueness_guard() -> Iterator[None]:
    """Turn an ``IntegrityError`` (a unique value taken, maybe by a concurrent request) into
    a 409 ``uniqueness``.

    No savepoint: the request's transaction is rolled back as a whole when the error is
    rendered, so adapters must run inside ``transaction.atomic`` (every SCIM view does).
    """
    try:
        yield
    except IntegrityError:
        raise errors.Uniqueness(
            "A unique attribute (such as userName or displayName) is already in use."
        ) from None
