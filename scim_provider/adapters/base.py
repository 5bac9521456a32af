"""The adapter interface, and what the user and group adapters share.

``ResourceAdapter`` is the one interface both adapters implement, with the same method
names and signatures: read a resource (with or without its on-demand attribute: a user's
``groups``, a group's ``members``), and write a ``Change`` (computed once by the protocol
core) as part of a ``scim_provider.writes.Write``. Everything that takes an adapter is typed
with it, or with ``UserAdapter`` / ``GroupAdapter`` where it needs one of them.

A *link* row (``ScimUser``, ``ScimGroup``) carries the SCIM side of a resource: its UUID
``scim_id``, ``externalId``, tenant, soft-delete state, version and the attributes no
mapping stores on the host (``attributes``, JSON). Subclasses say which link model they use
and which host model the mappings of the registry apply to.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.utils import timezone

from .. import multivalued
from ..compiled import CompiledQuery
from ..mapping import Mapping, get_value, remove_value, set_value
from ..protocol import errors
from ..protocol.changes import Change
from ..protocol.schemas import Attribute, ResourceType, Schema
from ..protocol.values import json_copy
from ..query import Column
from ..registry import registry

if TYPE_CHECKING:  # pragma: no cover
    from ..writes import Write

logger = logging.getLogger("scim_provider")

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


class ResourceAdapter(Protocol):
    """What the views, ``operations`` and ``writes`` need of a resource type's adapter.

    Made per request for the token's tenant (``tenant_id``, '' for none); everything it reads
    and writes is confined to that tenant. ``UserAdapter`` and ``GroupAdapter`` implement it.
    """

    resource: str
    #: The multi-valued attribute read only when asked (a user's ``groups``, a group's
    #: ``members``).
    on_demand: str
    #: The attribute a PATCH changes as deltas, never loaded whole (a group's ``members``),
    #: or None.
    delta_attribute: str | None
    tenant_id: str
    link_model: type[models.Model]

    @property
    def resource_type(self) -> ResourceType: ...

    # Reading
    def get_queryset(self) -> QuerySet: ...
    def get_link(self, scim_id: str, *, for_update: bool = False) -> Any: ...
    def with_related(self, queryset: QuerySet) -> QuerySet: ...
    def prefetch(self, links: list, *, limit: int | None = None) -> bool: ...
    def to_resource(self, link: Any, *, on_demand: bool = False) -> dict[str, Any]: ...
    def filter_column(
        self, schema: Schema, attribute: Attribute, sub: Attribute | None
    ) -> Column | None: ...

    # Writing (``scim_provider.writes`` calls these, in a transaction, the link locked)
    def check(self, change: Change) -> None: ...
    def create(self, write: Write) -> None: ...
    def update(self, write: Write) -> None: ...
    def delete(self, write: Write) -> None: ...


@CompiledQuery
def link_by_id(key: tuple, scim_id: uuid.UUID) -> QuerySet:
    """A live link by SCIM id, with its host object; ``key`` is (adapter class, for update,
    tenant id): a host adapter's ``get_queryset()`` may depend on the tenant."""
    adapter_class, for_update, tenant_id = key
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
    #: The attribute a PATCH changes as deltas (``MultiValueDelta``), never loaded whole.
    delta_attribute: str | None = None
    #: The link's columns and their SCIM attributes, for length checks and error messages.
    link_columns: dict[str, str] = {"external_id": "externalId"}

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

        Compiled once per adapter class and tenant (``scim_provider.compiled``):
        ``get_queryset()`` and ``related_names()`` must depend only on the tenant, settings
        and the registry. Locking takes the host row too (``locked``).
        """
        try:
            wanted = uuid.UUID(scim_id)
        except ValueError:
            wanted = None
        key = (type(self), for_update, self.tenant_id)
        found = link_by_id(key, wanted) if wanted else None
        if not found:
            raise errors.NotFound(f"{self.resource} {scim_id!r} not found.")
        return found[0]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` joined to the host object and mapped relations, when there are any
        (``select_related()`` with no names would follow every relation)."""
        names = self.related_names()
        return queryset.select_related(*names) if names else queryset

    def locked(self, queryset: QuerySet, for_update: bool) -> QuerySet:
        """``queryset`` with related rows; with ``for_update``, the link rows and their host
        rows locked together (``FOR UPDATE OF``), so that what a write reads of the host row
        is what it overwrites: a concurrent write waits, then is read fresh."""
        queryset = self.with_related(queryset)
        if not for_update:
            return queryset
        of = ("self", self.host_relation) if self.host_relation else ("self",)
        return queryset.select_for_update(of=of)

    def prefetch(self, links: list, *, limit: int | None = None) -> bool:
        """Set ``link.prefetched`` (the ``on_demand`` values) on each of ``links``; with
        ``limit`` (one link), load nothing and return False when it has more values."""
        raise NotImplementedError

    def read(self, link) -> dict[str, Any]:
        """The normalized SCIM resource of ``link``, without its ``on_demand`` attribute."""
        raise NotImplementedError

    def to_resource(self, link, *, on_demand: bool = False) -> dict[str, Any]:
        """The normalized SCIM resource of ``link`` (its ``on_demand`` attribute when asked)."""
        resource = self.read(link)
        if on_demand:
            if not hasattr(link, "prefetched"):
                self.prefetch([link])
            if link.prefetched:
                resource[self.on_demand] = link.prefetched
        return resource

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

    def check(self, change: Change) -> None:
        """Refuse (raise a ``ScimError``) what may not be written, before anything is."""

    def stored_attributes(self, resource: dict[str, Any]) -> dict[str, Any]:
        """What is kept as JSON on the link: everything no mapping or column holds."""
        stored = json_copy(resource)
        for key in self.unstored:
            stored.pop(key, None)
        for path in (*(m.path for m in self.mappings), *registry.unstorable_paths(self.resource)):
            remove_value(stored, path)
        return stored

    def unassigned_paths(self, resource: dict[str, Any]) -> list[str]:
        """Mapped attributes ``resource`` leaves out whose host field cannot be empty."""
        return [
            str(m.path)
            for m in self.mappings
            if m.always_assigned and get_value(resource, m.path) is None
        ]

    def link_values(self, resource: dict[str, Any]) -> dict[str, str]:
        """The link's own columns for ``resource`` (``link_columns``)."""
        return {"external_id": resource.get("externalId") or ""}

    def fill_link(
        self, link, resource: dict[str, Any], private: dict[str, Any] | None = None
    ) -> None:
        """Copy the link's own columns and JSON from ``resource`` (and the private keys
        ``private``); bump the version of saved links. A value too long for its column is a
        400 naming the attribute and the limit."""
        for column, value in self.link_values(resource).items():
            limit = link._meta.get_field(column).max_length
            if len(value) > limit:
                raise errors.InvalidValue(
                    f"{self.link_columns[column]} is {len(value)} characters long; "
                    f"at most {limit} can be stored."
                )
            setattr(link, column, value)
        kept = {
            key: value
            for key, value in (link.attributes or {}).items()
            if is_private(key) and key != UNASSIGNED
        }
        kept.update(private or {})
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

    def attribute_of_column(self, model: type[models.Model], column: str) -> str | None:
        """The SCIM attribute stored in ``column`` of ``model`` (the link or a host model)."""
        if model is self.link_model:
            return {**self.link_columns, **self.key_columns}.get(column)
        for mapping in self.mappings:
            field = mapping.model_field
            if field is not None and field.column == column and field.model is model:
                return str(mapping.path)
        return None

    #: Lower-cased copies of attributes on the link (unique per tenant).
    key_columns: dict[str, str] = {}


UNIQUE_SQLITE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
UNIQUE_POSTGRES = re.compile(r"Key \((?P<columns>[^)]*)\)=")


@contextmanager
def integrity_guard(adapter: ResourceAdapter) -> Iterator[None]:
    """Turn an ``IntegrityError`` into a SCIM error that says what happened.

    A unique value taken (maybe by a concurrent request) is a 409 ``uniqueness`` naming the
    attribute; any other refusal (a NOT NULL host column left empty, a foreign key) is a
    500, logged at ERROR with the constraint and a hint: it is a configuration problem of
    the host, not the client's. No savepoint: the request's transaction is rolled back as a
    whole when the error is rendered, so adapters run inside ``transaction.atomic``.
    """
    try:
        yield
    except IntegrityError as exc:
        raise integrity_error(adapter, exc) from None


def integrity_error(adapter: ResourceAdapter, exc: IntegrityError) -> errors.ScimError:
    """The SCIM error for the database's refusal ``exc`` of ``adapter``'s write."""
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None)
    message = str(exc)
    table, columns = _violated(cause, message)
    unique = state == "23505" or message.startswith("UNIQUE constraint failed")
    if unique:
        attribute = _attribute_for(adapter, table, columns)
        what = f"{attribute} is" if attribute else "A unique attribute is"
        return errors.Uniqueness(f"{what} already in use; the value must be unique.")
    logger.error(
        "SCIM %s write refused by the database (%s): %s. Hint: a NOT NULL column of a host "
        "model was left empty or a foreign key points nowhere; map the attribute, or set the "
        "field in the adapter (new_user(), new_host_group()) or a pre_user_save receiver.",
        adapter.resource,
        getattr(getattr(cause, "diag", None), "constraint_name", None) or table or "?",
        message.splitlines()[0] if message else type(exc).__name__,
    )
    return errors.InternalError(
        "The database refused the change (a constraint of the service provider's "
        "configuration); the details are in its log."
    )


def _violated(cause: Any, message: str) -> tuple[str | None, list[str]]:
    """(table, columns) named by a constraint violation, as far as the database says."""
    diag = getattr(cause, "diag", None)
    if diag is not None:
        detail = getattr(diag, "message_detail", None) or ""
        found = UNIQUE_POSTGRES.search(detail)
        columns = [c.strip().strip('"') for c in found["columns"].split(",")] if found else []
        return getattr(diag, "table_name", None), columns
    found = UNIQUE_SQLITE.search(message.splitlines()[0] if message else "")
    if not found:
        return None, []
    qualified = [c.strip() for c in found["columns"].split(",")]
    table = qualified[0].rsplit(".", 1)[0] if qualified else None
    return table, [c.rsplit(".", 1)[-1] for c in qualified]


def _attribute_for(adapter: ResourceAdapter, table: str | None, columns: list[str]) -> str | None:
    """The SCIM attribute behind a unique ``columns`` of ``table`` (the tenant column and
    other bookkeeping columns are skipped)."""
    models_by_table = {adapter.link_model._meta.db_table: adapter.link_model}
    host = getattr(adapter, "model", None)
    if host is not None:
        models_by_table[host._meta.db_table] = host
        for mapping in getattr(adapter, "mappings", ()):
            if mapping.model_field is not None:
                related = mapping.model_field.model
                models_by_table[related._meta.db_table] = related
    model = models_by_table.get(table or "")
    if model is None:
        return None
    for column in columns:
        attribute = adapter.attribute_of_column(model, column)
        if attribute:
            return attribute
    return None
