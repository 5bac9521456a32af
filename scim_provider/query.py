"""Filters (RFC 7644 §3.4.2.2) compiled from the protocol's syntax tree to a Django ``Q``.

The compiler knows operators and value types; *where* an attribute lives is the adapter's
answer to ``filter_column(schema, attribute, sub_attribute)``: a ``Column`` naming an ORM
lookup (from the link row: ``user_name_key``, ``user__first_name``,
``attributes__title``) and how its values compare. An attribute without a column cannot be
filtered: 400 ``invalidFilter``, never silently ignored.

Column kinds:

* ``folded``: a lower-cased copy (``userName``, the primary email): the value is
  lower-cased and compared exactly, so ``userName eq "X"`` uses a plain index;
* ``text``: a string compared case-insensitively (``caseExact: false``);
* ``exact``: a case-exact string (``externalId``);
* ``uuid``: the SCIM ``id`` (an invalid UUID matches nothing);
* ``boolean``, ``number``, ``datetime``: typed comparisons;
* ``true``: always matches (a condition the deployment deliberately does not store,
  such as the ``type`` of an email: email filters match the primary address).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from .compiled import CompiledQuery
from .protocol import errors
from .protocol.filters import (
    And,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    fill_strings,
    split_strings,
)
from .protocol.paths import AttributePath

TEXT_OPERATORS = {
    "eq": "iexact",
    "co": "icontains",
    "sw": "istartswith",
    "ew": "iendswith",
    "gt": "gt",
    "ge": "gte",
    "lt": "lt",
    "le": "lte",
}
EXACT_OPERATORS = {
    "eq": "exact",
    "co": "contains",
    "sw": "startswith",
    "ew": "endswith",
    "gt": "gt",
    "ge": "gte",
    "lt": "lt",
    "le": "lte",
}
ORDER_OPERATORS = {"eq": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


@dataclass(frozen=True)
class Column:
    lookup: str
    kind: str = "text"
    blank: Any = ""  # the stored value meaning "absent", besides NULL
    many: bool = False  # a to-many join: matched through a subquery, never duplicating rows


NOTHING = Q(pk__in=[])


class FilterCompiler:
    """Compile filters for one adapter (its resource type and columns)."""

    def __init__(self, adapter) -> None:
        self.adapter = adapter
        self.resource_type = adapter.resource_type

    def compile(self, node: Filter, prefix: AttributePath | None = None) -> Q:
        if isinstance(node, And):
            return self.compile(node.left, prefix) & self.compile(node.right, prefix)
        if isinstance(node, Or):
            return self.compile(node.left, prefix) | self.compile(node.right, prefix)
        if isinstance(node, Not):
            return ~self.compile(node.operand, prefix)
        if isinstance(node, ValuePath):
            if prefix is not None:
                raise errors.InvalidFilter("Value filters cannot be nested.")
            return self.compile(node.filter, node.path)
        if isinstance(node, Present):
            column = self.column(node.path, prefix)
            return self._through(column, self._present(column))
        if isinstance(node, Compare):
            column = self.column(node.path, prefix)
            return self._through(column, self._compare(column, node.op, node.value, node))
        raise errors.InvalidFilter("Unsupported filter expression.")

    def _through(self, column: Column, condition: Q) -> Q:
        """Conditions over a to-many join select ids in a subquery (no duplicate rows)."""
        if not column.many or not condition:
            return condition
        model = self.adapter.link_model
        return Q(pk__in=model._default_manager.filter(condition).values("pk"))

    def column(self, path: AttributePath, prefix: AttributePath | None = None) -> Column:
        if prefix is not None:
            if path.sub_attribute is not None or path.urn is not None:
                raise errors.InvalidFilter(f"Invalid name {path.attribute!r} in a value filter.")
            path = AttributePath(prefix.attribute, path.attribute, prefix.urn)
        try:
            schema, attribute, sub = self.resource_type.resolve(path)
        except errors.ScimError as exc:
            raise errors.InvalidFilter(exc.detail) from None
        column = self.adapter.filter_column(schema, attribute, sub)
        if column is None:
            name = attribute.name + (f".{sub.name}" if sub else "")
            raise errors.InvalidFilter(f"Filtering on {name!r} is not supported.")
        return column

    def _present(self, column: Column) -> Q:
        if column.kind == "true":
            return Q()
        present = Q(**{f"{column.lookup}__isnull": False})
        if column.blank is not None:
            present &= ~Q(**{column.lookup: column.blank})
        return present

    def _compare(self, column: Column, op: str, value: Any, node: Compare) -> Q:
        if column.kind == "true":
            return Q()
        if value is None:
            if op == "eq":
                return ~self._present(column)
            if op == "ne":
                return self._present(column)
            raise errors.InvalidFilter(f"{op!r} cannot compare with null.")
        if op == "ne":
            return ~self._compare(column, "eq", value, node)
        converted = self._convert(column, op, value)
        if converted is NOTHING:
            return NOTHING
        lookup = self._operator(column, op)
        return Q(**{f"{column.lookup}__{lookup}": converted})

    def _operator(self, column: Column, op: str) -> str:
        table = {
            "text": TEXT_OPERATORS,
            "folded": EXACT_OPERATORS,
            "exact": EXACT_OPERATORS,
        }.get(column.kind, ORDER_OPERATORS)
        if column.kind == "boolean":
            table = {"eq": "exact"}
        if op not in table:
            raise errors.InvalidFilter(f"Operator {op!r} does not apply to this attribute.")
        return table[op]

    def _convert(self, column: Column, op: str, value: Any) -> Any:
        kind = column.kind
        if kind in ("text", "exact", "folded"):
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise errors.InvalidFilter("Compare this attribute with a string.")
            text = str(value)
            if "\x00" in text:  # no database text column can hold it (PostgreSQL refuses)
                raise errors.InvalidFilter("A filter value may not contain the NUL character.")
            return text.lower() if kind == "folded" else text
        if kind == "uuid":
            try:
                return uuid.UUID(str(value))
            except ValueError:
                return NOTHING
        if kind == "boolean":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise errors.InvalidFilter("Compare this attribute with true or false.")
            return value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise errors.InvalidFilter("Compare this attribute with a number.")
            if isinstance(value, int) and abs(value) >= 2**63:
                raise errors.InvalidFilter("The number is out of range.")
            return value
        if kind == "datetime":
            try:
                parsed = parse_datetime(value) if isinstance(value, str) else None
            except ValueError:  # well-formed but impossible: month 13
                parsed = None
            if not isinstance(parsed, datetime):
                raise errors.InvalidFilter("Compare this attribute with an ISO 8601 date-time.")
            return parsed
        raise errors.InvalidFilter("This attribute cannot be compared.")


def compile_filter(node: Filter, adapter) -> Q:
    return FilterCompiler(adapter).compile(node)


def sort_lookup(sort_by: str, adapter) -> str:
    """The ORM lookup to order by for ``sortBy`` (RFC 7644 §3.4.2.3)."""
    from .protocol.paths import parse_attribute_path

    try:
        path = parse_attribute_path(sort_by)
    except errors.ScimError:
        raise errors.InvalidValue(f"Invalid sortBy {sort_by!r}.") from None
    try:
        column = FilterCompiler(adapter).column(path)
    except errors.InvalidFilter as exc:
        raise errors.InvalidValue(f"Cannot sort by {sort_by!r}: {exc.detail}") from None
    if column.kind == "true":
        raise errors.InvalidValue(f"Cannot sort by {sort_by!r}.")
    return column.lookup


def page_of(adapter, node: Filter | None, order: tuple[str, ...], offset: int, count: int, after):
    """A page of the adapter's live links matching ``node``, with their host objects:
    ``count`` rows in ``order`` from ``offset``, or after the link pk ``after`` (a keyset
    bookmark, ``scim_provider.pagination``). Compiled once per filter shape."""
    if node is not None:
        compile_filter(node, adapter)  # checks the real values: a marker passes any check
    shape, strings = split_strings(node) if node is not None else (None, ())
    window = ("after", count) if after is not None else ("offset", offset, count)
    bookmark = [] if after is None else [after]
    key = (type(adapter), adapter.tenant_id, shape, order, window)
    return _page(key, *strings, *bookmark)


@CompiledQuery
def _page(key: tuple, *values: Any) -> QuerySet:
    """A page of links; ``key`` is (adapter class, tenant id, filter shape, order, window):
    a host adapter's ``get_queryset()`` may depend on the tenant."""
    adapter_class, tenant_id, shape, order, window = key
    adapter = adapter_class(tenant_id)
    if window[0] == "after":
        *strings, after = values
    else:
        strings = values
    queryset = adapter.get_queryset()
    if shape is not None:
        queryset = queryset.filter(compile_filter(fill_strings(shape, strings), adapter))
    rows = adapter.with_related(queryset).order_by(*order)
    if window[0] == "after":
        return rows.filter(pk__gt=after)[: window[1]]
    offset, count = window[1:]
    return rows[offset : offset + count]
