"""ORM lookups that compare strings the way RFC 7644 §3.4.2.2 does, on every database.

Django's own lookups fall short in two places:

* ``contains``, ``startswith`` and ``endswith`` are ``LIKE``, which SQLite compares
  case-insensitively (ASCII letters): ``externalId co "ABC"`` (``caseExact``) would match
  ``abc``. ``scim_co``, ``scim_sw`` and ``scim_ew`` are case-sensitive everywhere
  (``instr``/``substr`` on SQLite, ``strpos``/``left``/``right`` elsewhere); they need
  no escaping, so ``%`` and ``_`` are ordinary characters.
* ``gt``/``ge``/``lt``/``le`` on text follow the column's collation: on a PostgreSQL
  database created with ``en_US.UTF-8``, ``"B" > "a"``. ``scim_gt`` etc. compare code
  points (``COLLATE "C"``; SQLite's default ``BINARY`` collation already does), as the
  protocol core's evaluator does; ``scim_igt`` etc. lower-case the column first (for
  ``caseExact: false`` attributes; the caller lower-cases the value).

On a key of a ``JSONField`` they compare the key's text (``->>`` on PostgreSQL).
Registered on ``models.Field`` by the app's ``ready()``; the ``scim_`` prefix keeps them
out of the host's way.
"""

from __future__ import annotations

import re

from django.db import models
from django.db.models import Lookup, lookups
from django.db.models.fields.json import KeyTextTransform, KeyTransform

__all__ = ["register"]


class _TextLookup(Lookup):
    """A lookup on the text of its left-hand side (a ``JSONField`` key's text)."""

    prepare_rhs = False

    def __init__(self, lhs, rhs):
        if isinstance(lhs, KeyTransform) and not isinstance(lhs, KeyTextTransform):
            lhs = KeyTextTransform(lhs.key_name, *lhs.source_expressions, **lhs.extra)
        super().__init__(lhs, rhs)

    def operands(self, compiler, connection) -> tuple[str, str, list]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, [*lhs_params, *rhs_params]


class _Substring(_TextLookup):
    """A case-sensitive substring test; other databases get Django's ``LIKE`` lookup.

    ``postgresql`` and ``sqlite`` are the SQL, with ``{lhs}`` and ``{rhs}`` where the
    operands go (each as often as needed).
    """

    builtin: type[Lookup]
    postgresql: str
    sqlite: str

    def as_sql(self, compiler, connection):
        return self.builtin(self.lhs, self.rhs).as_sql(compiler, connection)

    def render(self, template: str, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params: list = []
        for name in re.findall(r"\{(lhs|rhs)\}", template):
            params += lhs_params if name == "lhs" else rhs_params
        return template.format(lhs=lhs, rhs=rhs), params

    def as_postgresql(self, compiler, connection):
        return self.render(self.postgresql, compiler, connection)

    def as_sqlite(self, compiler, connection):
        return self.render(self.sqlite, compiler, connection)


class Contains(_Substring):
    lookup_name = "scim_co"
    builtin = lookups.Contains
    postgresql = "STRPOS({lhs}, ({rhs})::text) > 0"
    sqlite = "INSTR({lhs}, {rhs}) > 0"


class StartsWith(_Substring):
    lookup_name = "scim_sw"
    builtin = lookups.StartsWith
    postgresql = "LEFT({lhs}, LENGTH(({rhs})::text)) = ({rhs})::text"
    sqlite = "SUBSTR({lhs}, 1, LENGTH({rhs})) = {rhs}"


class EndsWith(_Substring):
    lookup_name = "scim_ew"
    builtin = lookups.EndsWith
    postgresql = "RIGHT({lhs}, LENGTH(({rhs})::text)) = ({rhs})::text"
    # SUBSTR(x, -0) is the whole of x: the empty suffix is tested apart.
    sqlite = "({rhs} = '' OR SUBSTR({lhs}, -LENGTH({rhs})) = {rhs})"


class IExact(_TextLookup):
    """``LOWER(lhs) = rhs``, the value lower-cased by the caller: ``iexact`` without the
    ``LIKE`` escaping that SQLite needs (so a compiled query can bind the value)."""

    lookup_name = "scim_ieq"

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self.operands(compiler, connection)
        return f"LOWER({lhs}) = {rhs}", params


class _Ordered(_TextLookup):
    """``lhs <operator> rhs`` by code point; ``fold`` lower-cases ``lhs`` first."""

    operator = ">"
    fold = False

    def column(self, compiler, connection) -> tuple[str, str, list]:
        lhs, rhs, params = self.operands(compiler, connection)
        return (f"LOWER({lhs})" if self.fold else lhs), rhs, params

    def as_sql(self, compiler, connection):
        lhs, rhs, params = self.column(compiler, connection)
        return f"{lhs} {self.operator} {rhs}", params

    def as_postgresql(self, compiler, connection):
        lhs, rhs, params = self.column(compiler, connection)
        return f'({lhs})::text COLLATE "C" {self.operator} ({rhs})::text', params


def _ordered(name: str, operator: str, fold: bool) -> type[Lookup]:
    return type(name, (_Ordered,), {"lookup_name": name, "operator": operator, "fold": fold})


ORDERED = tuple(
    _ordered(f"scim_{'i' if fold else ''}{op}", operator, fold)
    for op, operator in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
    for fold in (False, True)
)
LOOKUPS: tuple[type[Lookup], ...] = (Contains, StartsWith, EndsWith, IExact, *ORDERED)


def register() -> None:
    """Make the lookups available on every field (idempotent)."""
    for lookup in LOOKUPS:
        models.Field.register_lookup(lookup)
