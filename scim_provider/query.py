"""Filters (RFC 7644 §3.4.2.2) compiled from the protocol's syntax tree to a Django ``Q``.

The compiler knows operators and value types; *where* an attribute lives is the adapter's
answer. A single-valued attribute is a ``Column`` (``filter_column(schema, attribute,
sub_attribute)``) naming an ORM lookup from the link row (``user_name_key``,
``user__first_name``, ``attributes__title``) and how its values compare. A multi-valued
one is ``Elements`` (``elements(schema, attribute, sub_attribute)``, see
``scim_provider.multivalued``): rows holding one value each, whose sub-attributes are
columns; the resource matches when one of its rows does, tested in one subquery (no
duplicate rows, an exact ``totalResults``):

* ``emails.value eq "x"``, ``emails co "x"`` (a complex value compares by its ``value``),
  ``emails.type eq "work"``, ``emails pr``: some value matches;
* ``emails[type eq "work" and value co "x"]`` (and Entra's ``emails[type eq
  "work"].value eq "x"``): one value matches the whole value filter;
* ``emails.value ne "x"`` is ``not (emails.value eq "x")`` (no value equals ``x``), and
  ``emails.value eq null`` means no value has one, as the protocol core's evaluator
  (``protocol.filters.matches``) says.

An attribute or sub-attribute without a column cannot be filtered: 400 ``invalidFilter``
naming it, never silently ignored. Every comparison is two-valued (an absent value makes
it false, never SQL's unknown), so that ``not (...)`` selects exactly the other resources.

Column kinds:

* ``folded``: a lower-cased copy (``userName``): the value is lower-cased and compared
  exactly, so ``userName eq "X"`` uses a plain index;
* ``casefold``: a ``ScimValue`` value: compared by its ``casefold()`` (``folded``), and
  ``eq`` through the indexed prefix ``key`` as well;
* ``text``: a string compared case-insensitively (``caseExact: false``);
* ``exact``: a case-exact string (``externalId``);
* ``uuid``: the SCIM ``id`` (an invalid UUID matches nothing);
* ``boolean``, ``number``, ``datetime``: typed comparisons;
* ``constant``: the same value for every row (a user's ``groups.type``, ``direct``).

Strings are ordered (``gt``...) by code point and compared case-sensitively (``co``...)
on every database, through the lookups of ``scim_provider.lookups``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Substr
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
    matches,
    split_strings,
)
from .protocol.paths import AttributePath

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter


def _string_operators(fold, order_fold=None, *, prefix="", lookups=None) -> dict:
    """``{op: (lookup, how the value is folded)}`` of one string kind."""
    eq, co, sw, ew = lookups or ("exact", "contains", "startswith", "endswith")
    table = {"eq": (eq, fold), "co": (co, fold), "sw": (sw, fold), "ew": (ew, fold)}
    for op in ("gt", "ge", "lt", "le"):
        table[op] = (f"scim_{prefix}{op}", order_fold or fold)
    return table


#: Lookups of each string kind: (lookup suffix, how the value is folded).
STRING_OPERATORS = {
    "folded": _string_operators(str.lower),
    "casefold": _string_operators(str.casefold),
    "text": _string_operators(
        str.lower,
        str.lower,
        prefix="i",
        lookups=("scim_ieq", "icontains", "istartswith", "iendswith"),
    ),
    "exact": _string_operators(str, lookups=("exact", "scim_co", "scim_sw", "scim_ew")),
}
ORDER_OPERATORS = {"eq": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
#: How typed JSON values compare (RFC 7643 §2.3 type -> column kind).
JSON_KINDS = {"boolean": "boolean", "integer": "number", "decimal": "number"}


@dataclass(frozen=True)
class Column:
    lookup: str
    kind: str = "text"
    blank: Any = ""  # the stored value meaning "absent", besides NULL (None: "" is a value)
    many: bool = False  # a to-many join: matched through a subquery, never duplicating rows
    key: str | None = None  # ``casefold``/``exact`` values: the indexed prefix column
    constant: Any = None  # the value of every row (kind ``constant``)


NOTHING = Q(pk__in=[])
EVERYTHING = ~NOTHING


class FilterCompiler:
    """Compile filters for one adapter (its resource type and columns)."""

    def __init__(self, adapter: ResourceAdapter, *, check: bool = False) -> None:
        self.adapter = adapter
        self.resource_type = adapter.resource_type
        #: Only check the filter (raise what a compile would): no subquery is built.
        self.check = check

    # The tree ------------------------------------------------------------------------------

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
            target = self.resolve(node.path)
            elements = self.elements(*target)
            if elements is None:
                return self.compile(node.filter, node.path)  # a single-valued complex value
            return self.exists(elements, self.element(node.filter, elements, target))
        if isinstance(node, Present | Compare):
            target = self.resolve(self.absolute(node.path, prefix))
            elements = self.elements(*target)
            if elements is not None:
                return self.multi_valued(node, elements, target)
            column = self.adapter.filter_column(*target)
            if column is None:
                raise errors.InvalidFilter(f"Filtering on {_name(target)!r} is not supported.")
            return self._through(column, self.condition(node, column))
        raise errors.InvalidFilter("Unsupported filter expression.")

    def absolute(self, path: AttributePath, prefix: AttributePath | None) -> AttributePath:
        if prefix is None:
            return path
        if path.sub_attribute is not None or path.urn is not None:
            raise errors.InvalidFilter(f"Invalid name {path.attribute!r} in a value filter.")
        return AttributePath(prefix.attribute, path.attribute, prefix.urn)

    def resolve(self, path: AttributePath) -> tuple:
        try:
            return self.resource_type.resolve(path)
        except errors.ScimError as exc:
            raise errors.InvalidFilter(exc.detail) from None

    def elements(self, schema, attribute, sub):
        """The rows of a multi-valued attribute (or sub-attribute), else None."""
        if not (attribute.multi_valued or (sub is not None and sub.multi_valued)):
            return None
        elements = self.adapter.elements(schema, attribute, sub)
        if elements is None:
            name = _name((schema, attribute, sub))
            raise errors.InvalidFilter(f"Filtering on {name!r} is not supported.")
        return elements

    def column(self, path: AttributePath, prefix: AttributePath | None = None) -> Column:
        """The column of a single-valued attribute (``sortBy``)."""
        target = self.resolve(self.absolute(path, prefix))
        column = self.adapter.filter_column(*target)
        if column is None or column.kind == "constant":
            raise errors.InvalidFilter(f"Filtering on {_name(target)!r} is not supported.")
        return column

    # Multi-valued attributes ---------------------------------------------------------------

    def exists(self, elements, condition: Q) -> Q:
        """The resources with a row of ``elements`` matching ``condition``."""
        if condition is NOTHING or self.check:
            return NOTHING
        return Q(pk__in=elements.rows(condition))

    def multi_valued(self, node: Present | Compare, elements, target: tuple) -> Q:
        """``emails.value op x``, ``emails pr``: some value of the resource matches."""
        _schema, attribute, sub = target
        sub_name = sub.name if attribute.multi_valued and sub is not None else None
        if isinstance(node, Present) or node.value is None:
            if sub_name is None:
                present = elements.present
            else:
                present = self.present(self.element_column(elements, sub_name, target))
            if isinstance(node, Present) or node.op == "ne":
                return self.exists(elements, present)
            if node.op == "eq":
                return ~self.exists(elements, present)
            raise errors.InvalidFilter(f"{node.op!r} cannot compare with null.")
        column = self.element_column(elements, sub_name, target)
        if node.op == "ne":
            equal = Compare(node.path, "eq", node.value)
            return ~self.exists(elements, self.condition(equal, column))
        return self.exists(elements, self.condition(node, column))

    def element(self, node: Filter, elements, target: tuple) -> Q:
        """The condition on one row of ``elements`` of the value filter ``node``."""
        if isinstance(node, And):
            return self.element(node.left, elements, target) & self.element(
                node.right, elements, target
            )
        if isinstance(node, Or):
            return self.element(node.left, elements, target) | self.element(
                node.right, elements, target
            )
        if isinstance(node, Not):
            return ~self.element(node.operand, elements, target)
        if isinstance(node, ValuePath):
            raise errors.InvalidFilter("Value filters cannot be nested.")
        path = node.path
        if path.sub_attribute is not None or path.urn is not None:
            raise errors.InvalidFilter(f"Invalid name {str(path)!r} in a value filter.")
        attribute = target[1]
        if attribute.type != "complex":
            raise errors.InvalidFilter(f"{attribute.name!r} has no sub-attributes to filter.")
        sub = attribute.sub_attribute(path.attribute)
        if sub is None:
            raise errors.InvalidFilter(
                f"Unknown sub-attribute {path.attribute!r} of {attribute.name!r}."
            )
        return self.condition(node, self.element_column(elements, sub.name, target))

    def element_column(self, elements, sub: str | None, target: tuple) -> Column:
        column = elements.column(sub)
        if column is None:
            name = f"{target[1].name}.{sub}" if sub else _name(target)
            raise errors.InvalidFilter(f"Filtering on {name!r} is not supported.")
        return column

    # One value -----------------------------------------------------------------------------

    def _through(self, column: Column, condition: Q) -> Q:
        """Conditions over a to-many join select ids in a subquery (no duplicate rows)."""
        if not column.many:
            return condition
        model = self.adapter.link_model
        return Q(pk__in=model._default_manager.filter(condition).values("pk"))

    def condition(self, node: Present | Compare, column: Column) -> Q:
        """``node`` on one row: true or false, never unknown (NULL)."""
        if isinstance(node, Present):
            return self.present(column)
        op, value = node.op, node.value
        if value is None:
            if op == "eq":
                return ~self.present(column)
            if op == "ne":
                return self.present(column)
            raise errors.InvalidFilter(f"{op!r} cannot compare with null.")
        if op == "ne":
            return ~self.condition(Compare(node.path, "eq", value), column)
        if column.kind == "constant":
            return self._constant(column, op, value)
        return self.assigned(column) & self._compare(column, op, value)

    def assigned(self, column: Column) -> Q:
        """The column holds a value to compare (``""`` is one in JSON, not on the host)."""
        if column.kind == "constant":
            return EVERYTHING
        assigned = Q(**{f"{column.lookup}__isnull": False})
        if column.blank is not None and column.kind in STRING_OPERATORS:
            assigned &= ~Q(**{column.lookup: column.blank})
        return assigned

    def present(self, column: Column) -> Q:
        """``pr``: assigned, and not ``""`` (RFC 7643 §2.5)."""
        present = self.assigned(column)
        if column.kind in STRING_OPERATORS and column.blank is None:
            present &= ~Q(**{column.lookup: ""})
        return present

    def _constant(self, column: Column, op: str, value: Any) -> Q:
        """A value every row has: compared here, as the protocol core compares it."""
        probe = Compare(AttributePath("value"), op, value)
        return EVERYTHING if matches(probe, {"value": column.constant}) else NOTHING

    def _compare(self, column: Column, op: str, value: Any) -> Q:
        kind = column.kind
        if kind in STRING_OPERATORS:
            text = self._text(value)
            if op not in STRING_OPERATORS[kind]:
                raise errors.InvalidFilter(f"Operator {op!r} does not apply to this attribute.")
            lookup, fold = STRING_OPERATORS[kind][op]
            condition = Q(**{f"{column.lookup}__{lookup}": fold(text)})
            if op == "eq" and column.key:
                # The indexed prefix first: the same value has the same prefix.
                prefix = Substr(Value(text.casefold()), 1, _key_length())
                condition = Q(**{column.key: prefix}) & condition
            return condition
        table = {"boolean": {"eq": "exact"}}.get(kind, ORDER_OPERATORS)
        if op not in table:
            raise errors.InvalidFilter(f"Operator {op!r} does not apply to this attribute.")
        converted = self._convert(column, value)
        if converted is NOTHING:
            return NOTHING
        return Q(**{f"{column.lookup}__{table[op]}": converted})

    def _text(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise errors.InvalidFilter("Compare this attribute with a string.")
        text = str(value)
        if "\x00" in text:  # no database text column can hold it (PostgreSQL refuses)
            raise errors.InvalidFilter("A filter value may not contain the NUL character.")
        return text

    def _convert(self, column: Column, value: Any) -> Any:
        kind = column.kind
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


def _name(target: tuple) -> str:
    _schema, attribute, sub = target
    return attribute.name + (f".{sub.name}" if sub else "")


def _key_length() -> int:
    from .models import VALUE_KEY_LENGTH

    return VALUE_KEY_LENGTH


def compile_filter(node: Filter, adapter: ResourceAdapter) -> Q:
    return FilterCompiler(adapter).compile(node)


def check_filter(node: Filter, adapter: ResourceAdapter) -> None:
    """Raise the ``InvalidFilter`` compiling ``node`` would raise, at a fraction of the cost."""
    FilterCompiler(adapter, check=True).compile(node)


@dataclass(frozen=True)
class ElementSort:
    """``sortBy`` a multi-valued attribute: by the primary value, else the first
    (RFC 7644 §3.4.2.3); resources without one sort last (first when descending)."""

    path: AttributePath
    descending: bool

    def expression(self, adapter: ResourceAdapter):
        compiler = FilterCompiler(adapter)
        target = compiler.resolve(self.path)
        elements = compiler.elements(*target)
        _schema, attribute, sub = target
        sub_name = sub.name if attribute.multi_valued and sub is not None else None
        column = compiler.element_column(elements, sub_name, target)
        if column.kind == "constant":
            raise errors.InvalidFilter(f"Every value of {_name(target)!r} is the same.")
        rows = elements.model._default_manager.filter(
            elements.where, **{elements.owner: OuterRef("pk")}
        )
        first = Subquery(rows.order_by(*elements.first).values(column.lookup)[:1])
        if self.descending:
            return first.desc(nulls_first=True)
        return first.asc(nulls_last=True)


def sort_order(sort_by: str, descending: bool, adapter: ResourceAdapter) -> tuple:
    """The ``order_by`` of ``sortBy`` (RFC 7644 §3.4.2.3), ties broken by the link's pk."""
    from .protocol.paths import parse_attribute_path

    try:
        path = parse_attribute_path(sort_by)
    except errors.ScimError:
        raise errors.InvalidValue(f"Invalid sortBy {sort_by!r}.") from None
    compiler = FilterCompiler(adapter)
    try:
        target = compiler.resolve(path)
        if compiler.elements(*target) is not None:
            sort = ElementSort(path, descending)
            sort.expression(adapter)  # refuses what cannot be sorted, here
            return (sort, "pk")
        column = compiler.column(path)
    except errors.InvalidFilter as exc:
        raise errors.InvalidValue(f"Cannot sort by {sort_by!r}: {exc.detail}") from None
    return (f"-{column.lookup}" if descending else column.lookup, "pk")


def page_of(
    adapter: ResourceAdapter,
    node: Filter | None,
    order: tuple[str, ...],
    offset: int,
    count: int,
    after,
):
    """A page of the adapter's live links matching ``node``, with their host objects:
    ``count`` rows in ``order`` from ``offset``, or after the link pk ``after`` (a keyset
    bookmark, ``scim_provider.pagination``). Compiled once per filter shape."""
    if node is not None:
        check_filter(node, adapter)  # checks the real values: a marker passes any check
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
    rows = adapter.with_related(queryset).order_by(
        *(o.expression(adapter) if isinstance(o, ElementSort) else o for o in order)
    )
    if window[0] == "after":
        return rows.filter(pk__gt=after)[: window[1]]
    offset, count = window[1:]
    return rows[offset : offset + count]
