"""Hot-path reads, built and compiled by the ORM once, then re-run with new values.

Every SCIM request authenticates a token, most read one link row by its id or a page of
them, and every user rendered needs its groups. These queries keep their shape and change
only their values. Building and compiling one through the ORM costs 0.2-0.4 ms of CPU each
time, more than the database takes to answer, and on a busy server that CPU is the
bottleneck (benchmarks/README.md).

A ``CompiledQuery`` wraps a *builder*: ``build(key, *values) -> QuerySet``. ``key`` is
hashable and names everything the queryset depends on besides ``values`` (a model, an
adapter class, a filter's shape); it reaches the builder unchanged. The first call for a
key and a *shape* of values (their types, the length of each list) builds the queryset with
*marker* values, compiles it, and finds where each marker landed among the SQL parameters,
and how it was transformed on the way (unchanged, ``lower()``-ed or ``casefold()``-ed).
Later calls copy the compiled SQL compiler with the new values in those places, and let
Django's own iterable read the rows: model instances, ``select_related`` objects,
annotations, ``values_list`` tuples and database converters are exactly those of the plain
queryset, because it *is* the plain queryset.

String markers hold ``%``, ``_``, a backslash, upper case and ``ẞ`` (whose ``lower()`` and
``casefold()`` differ), so that any other transformation (``LIKE`` escaping, ``%...%``
wrapping, JSON encoding) leaves the marker unrecognised.

Safe or not at all. Every shape is built and compiled *twice*, with two sets of markers:
unless both give the same SQL and the same parameters outside the markers' places, the
builder's queryset depends on something besides ``key`` and ``values`` (a value it branches
on, the clock, the request), and the shape *falls back*: its queries are built with the
real values every time, like any queryset. So does a shape whose markers the builder
refuses or whose marker is not found. Slower, never wrong; the first fallback of each shape
is logged at WARNING (``scim_provider`` logger) with its reason. ``COMPILED_QUERIES =
False`` turns the memo off altogether.

The builder's contract: the queryset depends only on ``key``, ``values``, settings and the
attribute registry; whatever else it depends on (the tenant of a host adapter whose
``get_queryset()`` branches on it) belongs in ``key``. The caller checks the values before
the call, because a builder given markers cannot refuse a bad value (a filter string
holding NUL, which no database column can compare with). Entries are dropped when a setting
changes or the registry is edited (``clear_all``). They live in a bounded per-process
table: a memo of a pure function, not state, so nothing is shared between processes.
"""

from __future__ import annotations

import copy
import itertools
import logging
import uuid
import weakref
from collections.abc import Callable, Hashable, Sequence
from threading import Lock
from typing import Any

from django.core.signals import setting_changed
from django.db import connections
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError

#: Shapes remembered per ``CompiledQuery`` (each entry is a few kilobytes); keys hold the
#: tenant where a host adapter is involved, so this is also a bound on tenants kept warm.
MAX_ENTRIES = 1024

logger = logging.getLogger("scim_provider")

_counter = itertools.count(1)
_instances: weakref.WeakSet[CompiledQuery] = weakref.WeakSet()
_TRANSFORMS: tuple[Callable[[str], str], ...] = (str, str.lower, str.casefold)


def _marker(value: Any) -> Any:
    """A unique stand-in of ``value``'s type (TypeError: the type cannot be a marker)."""
    n = next(_counter)
    if isinstance(value, uuid.UUID):
        return uuid.uuid4()
    if isinstance(value, int) and not isinstance(value, bool):
        return -(10**15) - n
    if isinstance(value, str):
        return f"~Scim%_\\ẞ{n}-{uuid.uuid4().hex}~"
    raise TypeError(f"a {type(value).__name__} cannot be a marker")


def _binder(param: Any, marker: Any) -> Callable[[Any], Any] | None:
    """How a value reaches ``param`` if ``marker`` became ``param``, else None."""
    if isinstance(marker, uuid.UUID):
        if param == marker:
            return _same
        if param == marker.hex:  # databases without a UUID type
            return _hex
        return None
    if isinstance(marker, str):
        if isinstance(param, str):
            for transform in _TRANSFORMS:
                if param == transform(marker):
                    return transform
        return None
    return _same if type(param) is type(marker) and param == marker else None


def _same(value: Any) -> Any:
    return value


def _hex(value: Any) -> str:
    return value.hex


def _flat(values: Sequence[Any]) -> list:
    flat: list = []
    for value in values:
        flat += value if isinstance(value, list) else [value]
    return flat


def _shape(value: Any) -> Hashable:
    if isinstance(value, list):
        return (len(value), *sorted({type(v).__name__ for v in value}))
    return type(value)


class _Fallback:
    """A shape that is built with the real values every time, and why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Entry:
    """One key and shape: the compiled SQL, and which parameter each value fills."""

    def __init__(self, queryset: QuerySet, compiler, sql: str, params: Sequence, slots) -> None:
        self.queryset = queryset
        self.alias = queryset.db
        self.compiler = compiler
        self.sql = sql
        self.params = list(params)
        #: (index into the flat values, index into params, binder)
        self.slots = slots

    def bind(self, flat: list) -> tuple:
        params = list(self.params)
        for value_index, param_index, binder in self.slots:
            params[param_index] = binder(flat[value_index])
        return tuple(params)


class CompiledQuery:
    """``build(key, *values) -> QuerySet``, compiled once per key, shape and database.

    Values are strings, integers, UUIDs, or lists of those (an ``__in``); any other value
    (None, a boolean) belongs in ``key``. Used as a decorator on the builder.
    """

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self._entries: dict[Hashable, Any] = {}
        self._lock = Lock()
        _instances.add(self)

    def __call__(self, key: Hashable, *values: Any) -> list:
        """The rows of ``build(key, *values)``, as a list."""
        from .conf import scim_settings

        if not scim_settings.COMPILED_QUERIES:
            return list(self.build(key, *values))
        entry = self.entry(key, *values)
        if isinstance(entry, _Fallback):
            return list(self.build(key, *values))
        queryset = entry.queryset._chain()
        if queryset.db != entry.alias:  # a router sent this read elsewhere
            return list(self.build(key, *values))
        connection = connections[entry.alias]
        if queryset.query.select_for_update and connection.get_autocommit():
            # Django's own check, which the compiled SQL would skip.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = entry.bind(_flat(values))
        compiler = copy.copy(entry.compiler)
        compiler.connection = connection  # this thread's
        compiler.as_sql = lambda *args, **kwargs: (entry.sql, params)
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)

    def entry(self, key: Hashable, *values: Any) -> _Entry | _Fallback:
        """The compiled entry of ``key`` and the shape of ``values`` (compiled if new)."""
        shape = (key, *map(_shape, values))
        entry = self._entries.get(shape)
        if entry is None:
            entry = self._compile(key, values)
            if isinstance(entry, _Fallback):
                logger.warning(
                    "SCIM compiled query %s falls back to the ORM for %r: %s",
                    getattr(self.build, "__qualname__", self.build),
                    shape,
                    entry.reason,
                )
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:  # the oldest first
                    del self._entries[next(iter(self._entries))]
                self._entries[shape] = entry
        return entry

    def compiles(self, key: Hashable, *values: Any) -> bool:
        """Whether ``key`` and the shape of ``values`` run compiled (not a fallback)."""
        return isinstance(self.entry(key, *values), _Entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _compile(self, key: Hashable, values: Sequence[Any]) -> _Entry | _Fallback:
        built = []
        for _attempt in range(2):
            try:
                markers = [
                    [_marker(v) for v in value] if isinstance(value, list) else _marker(value)
                    for value in values
                ]
                queryset = self.build(key, *markers)
                compiler = queryset.query.get_compiler(using=queryset.db)
                sql, params = compiler.as_sql()
            except Exception as exc:  # a marker the builder refuses, an empty IN list, ...
                return _Fallback(f"building with markers failed ({type(exc).__name__})")
            slots = []
            for value_index, marker in enumerate(_flat(markers)):
                found = [(i, _binder(param, marker)) for i, param in enumerate(params)]
                found = [(i, binder) for i, binder in found if binder is not None]
                if not found:
                    return _Fallback("a value does not reach the SQL parameters as it is")
                slots += [(value_index, i, binder) for i, binder in found]
            built.append((queryset, compiler, sql, params, slots))
        (queryset, compiler, sql, params, slots), (_q, _c, sql2, params2, slots2) = built
        placed = {i for _v, i, _b in slots}
        fixed = [p for i, p in enumerate(params) if i not in placed]
        fixed2 = [p for i, p in enumerate(params2) if i not in placed]
        if sql != sql2 or [(v, i) for v, i, _b in slots] != [(v, i) for v, i, _b in slots2]:
            return _Fallback("the SQL depends on the values (the builder branches on them)")
        if fixed != fixed2:
            return _Fallback("the parameters depend on something besides the key and values")
        return _Entry(queryset, compiler, sql, params, slots)


def clear_all(**kwargs: Any) -> None:
    """Forget every compiled query (settings or the attribute registry changed)."""
    for compiled in list(_instances):
        compiled.clear()


setting_changed.connect(clear_all)
