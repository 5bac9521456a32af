"""PATCH operations applied to a resource (RFC 7644 §3.5.2).

``apply_patch`` takes a normalized resource (see docs/internals/protocol.md), the whole
``PatchOp`` message and the resource type, and returns a ``PatchResult``: the new resource,
the canonical paths whose value changed, and the change sets of *delta attributes*. The
input resource is never mutated.

Operations run in order, all or nothing (RFC 7644 §3.5.2: a failing operation fails the
request). One resolver turns a ``path`` into a ``_Target`` (schema, attribute, optional
sub-attribute, optional value filter); ``add``, ``replace`` and ``remove`` act on targets,
and an operation without ``path`` is expanded into one target per key of its value.

Semantics (RFC 7644 §3.5.2.1-3) and what Okta and Entra really send (docs/okta.md,
docs/entra.md):

* ``op`` is case-insensitive (Entra sends ``Add``/``Replace``/``Remove``).
* ``add`` to a multi-valued attribute appends, merging an element that has the same
  ``value`` (and ``type`` when both have one) instead of duplicating it; ``add`` to a
  single-valued attribute replaces it; ``add``/``replace`` of a complex attribute merges the
  given sub-attributes.
* ``replace`` of a multi-valued attribute without a filter replaces the list. With a value
  filter it replaces the matched elements (keeping the filter's ``eq`` values, so
  ``emails[type eq "work"]`` stays a work email) or their sub-attribute; when nothing
  matches and the filter is made of ``eq`` comparisons joined by ``and``, the element is
  created (Entra's ``emails[type eq "work"].value`` on a user without a work email), else
  ``noTarget``. ``add`` with a value filter behaves the same.
* ``remove`` needs a ``path`` (``noTarget``). A filter that matches nothing removes nothing:
  RFC 7644 §3.5.2.2 asks ``noTarget`` only of ``replace``, and removal must be idempotent
  because the IdPs retry it. ``remove`` of a multi-valued attribute *with a value list*
  removes those values only (Entra's ``{"op":"Remove","path":"members","value":[...]}``).
* ``""`` and ``null`` clear an attribute or sub-attribute (Microsoft's SCIM_Null_Update_Test).
  A single-valued complex attribute with a ``value`` sub-attribute also accepts a plain
  string and a one-element list: Entra's ``manager`` forms, which replace the whole value
  (no stale ``$ref`` is kept), where an object merges.
* ``primary: true`` on an added or replaced element clears ``primary`` on the others.
* Values are coerced with ``validate.coerce_value`` (Entra's ``"False"``).
* Mutability: a path naming a readOnly attribute (``id``, ``meta``, ``groups``) is a
  ``mutability`` error; readOnly sub-attributes inside a value are ignored, as in PUT
  (RFC 7644 §3.5.1); changing or removing an immutable value that is set is a ``mutability``
  error, as is removing a required attribute (RFC 7644 §3.5.2.2).
* Without ``path`` the value's keys may be attribute names, dotted paths (``name.givenName``),
  URN-qualified paths (``urn:...:enterprise:2.0:User:employeeNumber``) or extension objects
  (``{"urn:...:enterprise:2.0:User": {...}}``). ``id``, ``meta`` and ``schemas`` keys are
  ignored (Okta renames groups with the group ``id`` in the value). Unknown keys and
  unknown sub-attributes are dropped, as validate's LENIENT policy (the default) drops them
  from POST and PUT bodies: the same attribute must not fail in a PATCH and pass in a PUT.
  An unknown attribute named by ``path`` is an ``invalidPath`` error (RFC 7644 §3.5.2).
* Messages: ``schemas`` may be missing (tolerated, like validate's LENIENT); if present it
  must list the PatchOp URN (``invalidSyntax``). ``Operations`` must be a non-empty list
  (``invalidSyntax`` / ``invalidValue``); more than ``max_operations`` is ``invalidValue``.
  Member names (``Operations``, ``op``, ``path``, ``value``) are case-insensitive.
* Errors are ``ScimError`` only, whatever the input; an operation's error detail starts
  with ``Operations[i]:``.
* ``PatchResult.changed`` compares the resource before and after all operations, so a value
  replaced by itself (or added then removed) is not reported. Single-valued complex
  attributes report their sub-attributes (``name.givenName``, ``urn:...:User:manager.value``);
  the others report themselves (``displayName``, ``emails``); delta attributes are reported
  whenever an operation touched them, as their current value is unknown.

Delta attributes. A group may have 100 000 members; loading them to add one is what the
IdPs' "one PATCH per membership change" traffic cannot afford. For the attribute names in
``delta_attributes`` (``{"members"}`` for groups) the caller does not load the attribute and
the engine never reads or writes it in ``resource``: each operation is recorded in a
``MultiValueDelta`` (values added, values removed, full replacement, cleared) that the
adapter turns into O(changes) database writes. Operations on a delta attribute address
elements by ``value`` only: ``members``, ``members[value eq "id"]`` (optionally ``or``-ed),
or a value list for ``remove``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scim_provider.protocol.changes import changed_paths
from scim_provider.protocol.errors import (
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    ScimError,
)
from scim_provider.protocol.filters import And, Compare, Filter, Not, Or, Present, matches
from scim_provider.protocol.paths import AttributePath, parse_patch_path
from scim_provider.protocol.schemas import PATCH_OP_URN, Attribute, ResourceType, Schema
from scim_provider.protocol.validate import coerce_value, json_type
from scim_provider.protocol.values import json_copy, json_equal

__all__ = ["MultiValueDelta", "PatchResult", "apply_patch"]

OPERATIONS = ("add", "replace", "remove")
# Keys of a no-path value that belong to the server and are silently ignored.
SERVER_KEYS = frozenset({"id", "meta", "schemas"})
# Stands for "the operation has no value member", as opposed to "value": null.
MISSING: Any = object()


@dataclass
class MultiValueDelta:
    """The change set of a delta attribute, in terms of element ``value``s.

    Apply it as: if ``replaced`` is not ``None``, the attribute becomes ``replaced`` (then
    ``added`` and ``removed`` are empty); otherwise empty the attribute if ``cleared``,
    remove the elements whose value is in ``removed``, then add ``added`` (skipping values
    already present). ``added`` and ``removed`` never share a value: a later operation on
    the same value overrides an earlier one. ``apply`` does exactly this in memory.
    """

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: set[str] = field(default_factory=set)
    replaced: list[dict[str, Any]] | None = None
    cleared: bool = False

    def add(self, elements: list[dict[str, Any]]) -> None:
        """Record ``add`` of ``elements`` (each with a string ``value``)."""
        if self.replaced is not None:
            self.replaced = _union(self.replaced, elements)
            return
        self.added = _union(self.added, elements)
        self.removed.difference_update(element["value"] for element in elements)

    def remove(self, values: set[str]) -> None:
        """Record removal of the elements whose value is in ``values``."""
        if self.replaced is not None:
            self.replaced = [e for e in self.replaced if e["value"] not in values]
            return
        self.added = [e for e in self.added if e["value"] not in values]
        if not self.cleared:
            self.removed.update(values)

    def replace(self, elements: list[dict[str, Any]]) -> None:
        """Record replacement of the whole attribute by ``elements``."""
        self.replaced = _union([], elements)
        self.added, self.removed, self.cleared = [], set(), False

    def clear(self) -> None:
        """Record removal of every element."""
        self.added, self.removed, self.replaced, self.cleared = [], set(), None, True

    def apply(self, current: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The attribute's new elements, given its ``current`` ones (reference semantics)."""
        if self.replaced is not None:
            return [dict(e) for e in self.replaced]
        kept = [] if self.cleared else [e for e in current if e.get("value") not in self.removed]
        present = {e.get("value") for e in kept}
        return kept + [dict(e) for e in self.added if e["value"] not in present]


def _union(elements: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``elements`` then ``more``, one element per value; a repeated value merges into the first."""
    by_value: dict[str, dict[str, Any]] = {}
    for element in (*elements, *more):
        by_value[element["value"]] = {**by_value.get(element["value"], {}), **element}
    return list(by_value.values())


@dataclass
class PatchResult:
    """What ``apply_patch`` returns."""

    resource: dict[str, Any]
    changed: set[str] = field(default_factory=set)
    deltas: dict[str, MultiValueDelta] = field(default_factory=dict)


def apply_patch(
    resource: dict[str, Any],
    body: Any,
    resource_type: ResourceType,
    *,
    delta_attributes: frozenset[str] = frozenset(),
    max_operations: int | None = None,
) -> PatchResult:
    """Apply the PatchOp message ``body`` to ``resource`` (RFC 7644 §3.5.2).

    Raises only ``ScimError`` subclasses; the detail of an operation's error starts with
    ``Operations[i]``.
    """
    operations = _operations(body, max_operations)
    patcher = _Patcher(resource, resource_type, delta_attributes)
    for index, operation in enumerate(operations):
        try:
            patcher.apply(operation)
        except ScimError as error:
            error.detail = f"Operations[{index}]: {error.detail}"
            error.args = (error.detail,)
            raise
        except RecursionError:
            raise InvalidValue(f"Operations[{index}]: the value is nested too deeply.") from None
    return patcher.result()


def _operations(body: Any, max_operations: int | None) -> list[dict[str, Any]]:
    """The ``Operations`` of a PatchOp message, after checking the message's structure."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A PATCH body must be a JSON object (a PatchOp message).")
    schemas = _get(body, "schemas")
    if schemas is not MISSING:
        if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
            raise InvalidSyntax("'schemas' must be a list of schema URNs.")
        if PATCH_OP_URN.casefold() not in {s.casefold() for s in schemas}:
            raise InvalidSyntax(f"'schemas' must contain {PATCH_OP_URN!r}.")
    operations = _get(body, "Operations")
    if not isinstance(operations, list):
        raise InvalidSyntax("A PatchOp message needs an 'Operations' list.")
    if not operations:
        raise InvalidValue("'Operations' is empty; send at least one operation.")
    if max_operations is not None and len(operations) > max_operations:
        raise InvalidValue(
            f"The request has {len(operations)} operations; this server accepts at most "
            f"{max_operations} per PATCH. Split it into several requests."
        )
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            raise InvalidSyntax(
                f"Operations[{index}] must be an object with 'op', 'path' and 'value'."
            )
    return operations


def _get(mapping: dict[str, Any], name: str) -> Any:
    """``mapping[name]`` with a case-insensitive key (RFC 7643 §2.1), else ``MISSING``."""
    if name in mapping:
        return mapping[name]
    folded = name.casefold()
    return next(
        (v for k, v in mapping.items() if isinstance(k, str) and k.casefold() == folded), MISSING
    )


@dataclass(frozen=True)
class _Target:
    """What a PATCH path names: an attribute, maybe narrowed by a filter, maybe a sub-attribute."""

    schema: Schema
    attribute: Attribute
    sub_attribute: Attribute | None
    value_filter: Filter | None
    core: bool

    @property
    def name(self) -> str:
        """The canonical attribute path: ``emails``, ``urn:...:User:manager``."""
        prefix = "" if self.core else f"{self.schema.id}:"
        return prefix + self.attribute.name


class _Patcher:
    """Applies operations, one at a time, to a private copy of a resource."""

    def __init__(
        self,
        resource: dict[str, Any],
        resource_type: ResourceType,
        delta_attributes: frozenset[str],
    ) -> None:
        if not isinstance(resource, dict):
            raise InvalidValue("The resource to patch must be an object.")
        self.original = resource
        self.resource_type = resource_type
        self.delta_names = {name.casefold() for name in delta_attributes}
        # Delta attributes are passed through untouched: never copied, read or written.
        self.resource = {
            key: value if _fold(key) in self.delta_names else json_copy(value)
            for key, value in resource.items()
        }
        self.deltas: dict[str, MultiValueDelta] = {}

    # Operations.

    def apply(self, operation: dict[str, Any]) -> None:
        """Apply one operation object ``{"op", "path", "value"}``."""
        op = _get(operation, "op")
        if not isinstance(op, str) or op.casefold() not in OPERATIONS:
            raise InvalidSyntax(f"'op' must be one of add, replace, remove, not {_show(op)}.")
        op = op.casefold()
        path = _get(operation, "path")
        value = _get(operation, "value")
        if path is not MISSING and path is not None and not isinstance(path, str):
            raise InvalidSyntax(f"'path' must be a string, not {_show(path)}.")
        if path is MISSING or path is None or not path.strip():
            if op == "remove":
                raise NoTarget("A 'remove' operation needs a 'path' (RFC 7644 §3.5.2.2).")
            self._apply_value(op, value)
            return
        if op != "remove" and value is MISSING:
            raise InvalidValue(f"An '{op}' operation needs a 'value'.")
        schema = self.resource_type.schema_for(path.strip())
        if schema is not None:
            self._apply_schema(op, schema, value)
            return
        self._apply_target(op, self._resolve(path), value)

    def _apply_value(self, op: str, value: Any) -> None:
        """An ``add``/``replace`` without path: each key of ``value`` names a target."""
        if value is MISSING:
            raise InvalidValue(f"An '{op}' operation without 'path' needs a 'value'.")
        if not isinstance(value, dict):
            raise InvalidValue(
                f"The 'value' of an '{op}' without 'path' must be an object of attributes, "
                f"not a {json_type(value)}."
            )
        for key, item in value.items():
            if _fold(key) in SERVER_KEYS:
                continue
            schema = self.resource_type.schema_for(key)
            if schema is not None:
                self._apply_schema(op, schema, item)
                continue
            try:
                target = self._resolve(key)
            except InvalidPath:
                continue  # unknown attribute: dropped, as validate's LENIENT policy does
            self._apply_target(op, target, item)

    def _apply_schema(self, op: str, schema: Schema, value: Any) -> None:
        """An operation on a whole schema: ``path`` or value key ``urn:...:enterprise:2.0:User``."""
        core = schema is self.resource_type.schema
        if op == "remove":
            if core:
                raise InvalidPath("The core schema cannot be removed; name an attribute.")
            present = self.resource.get(schema.id)
            for name in list(present) if isinstance(present, dict) else []:
                attribute = schema.attribute(name)
                if attribute is not None:
                    self._apply_target(op, self._target(schema, attribute, None, None), MISSING)
            return
        if value is None:
            return  # Entra sends null for unmapped things; there is nothing to add.
        if not isinstance(value, dict):
            raise InvalidValue(f"The value of {schema.id!r} must be an object of its attributes.")
        if core:
            self._apply_value(op, value)
            return
        for key, item in value.items():
            if _fold(key) in SERVER_KEYS:
                continue
            self._apply_value(op, {f"{schema.id}:{key}": item})

    def _apply_target(self, op: str, target: _Target, value: Any) -> None:
        if target.name.casefold() in self.delta_names:
            self._apply_delta(op, target, value)
        elif op == "remove":
            self._remove(target, value)
        elif target.value_filter is not None:
            self._set_filtered(target, value)
        elif target.attribute.multi_valued and target.sub_attribute is None:
            if op == "add":
                self._append(target, value)
            else:
                self._replace_list(target, value)
        else:
            self._set(target, value)

    # Target resolution: the one place a path becomes a target.

    def _resolve(self, text: str) -> _Target:
        """The target ``text`` names; raises ``InvalidPath``, ``InvalidFilter``, ``Mutability``."""
        patch_path = parse_patch_path(text)
        schema, attribute, sub = self.resource_type.resolve(patch_path.attribute)
        value_filter = patch_path.value_filter
        if value_filter is not None:
            if not attribute.multi_valued or attribute.type != "complex":
                raise InvalidPath(
                    f"{text!r}: a value filter selects elements of a multi-valued complex "
                    f"attribute; {attribute.name!r} is not one."
                )
            _check_filter(attribute, value_filter)
            if patch_path.sub_attribute is not None:
                sub = attribute.sub_attribute(patch_path.sub_attribute)
                if sub is None:
                    raise InvalidPath(
                        f"{text!r}: {attribute.name!r} has no sub-attribute "
                        f"{patch_path.sub_attribute!r}."
                    )
        elif sub is not None and attribute.multi_valued:
            raise InvalidPath(
                f"{text!r}: select the elements of {attribute.name!r} with a value filter, "
                f'e.g. {attribute.name}[type eq "work"].{sub.name}.'
            )
        return self._target(schema, attribute, sub, value_filter)

    def _target(
        self,
        schema: Schema,
        attribute: Attribute,
        sub: Attribute | None,
        value_filter: Filter | None,
    ) -> _Target:
        for checked in (attribute, sub):
            if checked is not None and checked.mutability == "readOnly":
                raise Mutability(f"{checked.name!r} is readOnly and cannot be modified.")
        core = schema.id.casefold() == self.resource_type.schema.id.casefold()
        return _Target(schema, attribute, sub, value_filter, core)

    def _container(self, target: _Target, *, create: bool = False) -> dict[str, Any]:
        """The dict holding the target's attribute: the resource, or its extension object."""
        if target.core:
            return self.resource
        extension = self.resource.get(target.schema.id)
        if not isinstance(extension, dict):
            extension = {}
            if create:
                self.resource[target.schema.id] = extension
        return extension

    def _store(self, target: _Target, new: Any) -> None:
        """Set (``None``: unset) the target's attribute, enforcing immutability."""
        container = self._container(target, create=new is not None)
        old = container.get(target.attribute.name)
        if json_equal(old, new):
            return
        _check_immutable(target.attribute, old, new)
        if new is None:
            container.pop(target.attribute.name, None)
            if not target.core and not container:
                self.resource.pop(target.schema.id, None)
        else:
            container[target.attribute.name] = new

    # add / replace / remove on ordinary attributes.

    def _set(self, target: _Target, value: Any) -> None:
        """Set a single-valued attribute or a sub-attribute of one (complex values merge)."""
        attribute, sub = target.attribute, target.sub_attribute
        old = self._container(target).get(attribute.name)
        if sub is not None:
            new = _merge(old, {sub.name: _element(sub, value)})
        elif attribute.type == "complex":
            # An object merges (RFC 7644 §3.5.2.3); Entra's "<id>" or [{...}] is the whole value.
            given = _single_complex(attribute, value)
            new = _merge(old if isinstance(value, dict) else None, given)
        else:
            new = _element(attribute, value)
        self._store(target, new)

    def _append(self, target: _Target, value: Any) -> None:
        """``add`` to a multi-valued attribute: append, merging elements already present."""
        attribute = target.attribute
        elements = list(self._container(target).get(attribute.name) or [])
        touched = [_add_element(attribute, elements, new) for new in _elements(attribute, value)]
        _single_primary(attribute, elements, touched)
        self._store(target, elements or None)

    def _replace_list(self, target: _Target, value: Any) -> None:
        """``replace`` of a multi-valued attribute without filter: the new list."""
        attribute = target.attribute
        elements: list[Any] = []
        touched = [_add_element(attribute, elements, new) for new in _elements(attribute, value)]
        _single_primary(attribute, elements, touched)
        self._store(target, elements or None)

    def _set_filtered(self, target: _Target, value: Any) -> None:
        """``add``/``replace`` of the elements a value filter selects, creating one if none."""
        attribute, sub = target.attribute, target.sub_attribute
        elements = list(self._container(target).get(attribute.name) or [])
        seed = _filter_equalities(attribute, target.value_filter)
        if sub is not None:
            patch = {sub.name: _element(sub, value)}
        else:
            patch = _single_complex(attribute, value)
        matched = [i for i, element in enumerate(elements) if self._matches(target, element)]
        touched = []
        if not matched:
            if seed is None:
                raise NoTarget(
                    f"No element of {attribute.name!r} matches the filter, and the filter does "
                    f"not say which element to create (use 'eq' comparisons joined by 'and')."
                )
            if _strip(patch or {}):  # clearing what does not exist creates nothing
                created = _merge(seed, patch)
                elements.append(created)
                touched.append(created)
        else:
            for i in matched:
                old = elements[i]
                if sub is not None:
                    new = _merge(old, patch)
                else:
                    new = None if patch is None else _merge(seed, patch)
                _check_immutable(attribute, old, new, elements=True)
                elements[i] = new
                touched.append(new)
            elements = [element for element in elements if element is not None]
        _single_primary(attribute, elements, [t for t in touched if t is not None])
        self._store(target, elements or None)

    def _remove(self, target: _Target, value: Any) -> None:
        attribute, sub = target.attribute, target.sub_attribute
        old = self._container(target).get(attribute.name)
        if target.value_filter is not None:
            kept = []
            for element in old or []:
                if not self._matches(target, element):
                    kept.append(element)
                    continue
                new = None if sub is None else _merge(element, {sub.name: None})
                _check_immutable(attribute, element, new, elements=True)
                if new is not None:
                    kept.append(new)
            self._store(target, kept or None)
        elif attribute.multi_valued and value not in (MISSING, None):
            # Entra: {"op":"Remove","path":"members","value":[{"value":"<id>"}]}.
            doomed = _elements(attribute, value)
            kept = [e for e in old or [] if not any(_same_element(attribute, e, d) for d in doomed)]
            self._store(target, kept or None)
        elif sub is not None:
            self._store(target, _merge(old, {sub.name: None}))
        else:
            self._store(target, None)

    def _matches(self, target: _Target, element: Any) -> bool:
        attribute = target.attribute

        def case_exact(path: AttributePath) -> bool:
            sub = attribute.sub_attribute(path.attribute)
            return sub is not None and sub.case_exact

        return isinstance(element, dict) and matches(
            target.value_filter, element, case_exact=case_exact
        )

    # Delta attributes.

    def _apply_delta(self, op: str, target: _Target, value: Any) -> None:
        """Record an operation on a delta attribute in its ``MultiValueDelta``."""
        name = target.name
        if target.sub_attribute is not None:
            raise InvalidPath(
                f"{name!r} is changed element by element: add, replace or remove whole "
                f"elements, not a sub-attribute."
            )
        if target.value_filter is not None and op != "remove":
            raise InvalidPath(f"A value filter on {name!r} is only supported with 'remove'.")
        delta = self.deltas.setdefault(name, MultiValueDelta())
        if op == "remove":
            if target.value_filter is not None:
                delta.remove(_filter_values(name, target.value_filter))
            elif value not in (MISSING, None):
                delta.remove({e["value"] for e in _delta_elements(target.attribute, value)})
            else:
                delta.clear()
        elif op == "add":
            delta.add(_delta_elements(target.attribute, value))
        else:
            delta.replace(_delta_elements(target.attribute, value))

    # Result.

    def result(self) -> PatchResult:
        changed = changed_paths(
            self.original, self.resource, self.resource_type, skip=self.delta_names
        )
        self._check_required()
        return PatchResult(self.resource, changed | set(self.deltas), self.deltas)

    def _check_required(self) -> None:
        """RFC 7644 §3.5.2.2: a required attribute cannot be removed."""
        for schema in self.resource_type.all_schemas():
            core = schema is self.resource_type.schema
            before = self.original if core else self.original.get(schema.id)
            after = self.resource if core else self.resource.get(schema.id)
            for attribute in schema.attributes:
                if not attribute.required or not isinstance(before, dict):
                    continue
                now = after.get(attribute.name) if isinstance(after, dict) else None
                if before.get(attribute.name) is not None and now is None:
                    raise Mutability(f"{attribute.name!r} is required and cannot be removed.")


# Values: client JSON -> stored form. ``None`` means "unset".


def _element(attribute: Attribute, value: Any, *, keep_read_only: bool = False) -> Any:
    """One value of ``attribute`` (an element if multi-valued), coerced; ``""``/null -> None.

    A complex value is a dict of canonical sub-attribute names whose ``None`` entries mean
    "unset this sub-attribute". Scalars go through ``validate.coerce_value`` (LENIENT, as for
    POST and PUT: ``"False"``, numbers for strings); unknown and readOnly sub-attributes are
    dropped as there (RFC 7644 §3.5.1), except that delta attributes keep readOnly ones
    (``members.display``) for the adapter to use or ignore.
    """
    if value is None or (isinstance(value, str) and value == ""):
        return None
    if attribute.type != "complex":
        coerced = coerce_value(attribute, value)
        if attribute.multi_valued:  # one element of a multi-valued simple attribute
            return coerced[0] if coerced else None
        return coerced
    if _is_scalar(value) and attribute.sub_attribute("value") is not None:
        value = {"value": value}
    if not isinstance(value, dict):
        raise InvalidValue(f"{attribute.name!r} expects an object, not a {json_type(value)}.")
    result: dict[str, Any] = {}
    for key, item in value.items():
        sub = attribute.sub_attribute(key) if isinstance(key, str) else None
        if sub is None or (sub.mutability == "readOnly" and not keep_read_only):
            continue
        if sub.multi_valued:
            items = [_element(sub, v) for v in _as_list(item)]
            result[sub.name] = [v for v in items if v is not None] or None
        else:
            result[sub.name] = _element(sub, item)
    return result


def _single_complex(attribute: Attribute, value: Any) -> dict[str, Any] | None:
    """One complex value (an attribute or a filtered element); ``[x]`` is ``x`` (Entra)."""
    if isinstance(value, list):
        if len(value) > 1:
            raise InvalidValue(f"{attribute.name!r}: send one value here, not a list of several.")
        value = value[0] if value else None
    return _element(attribute, value)


def _elements(attribute: Attribute, value: Any) -> list[Any]:
    """The elements of a multi-valued attribute's value (a list, or one element)."""
    result = []
    for item in _as_list(value):
        element = _element(attribute, item)
        if isinstance(element, dict):
            element = _strip(element)
        if element not in (None, {}):
            result.append(element)
    return result


def _delta_elements(attribute: Attribute, value: Any) -> list[dict[str, Any]]:
    """Elements of a delta attribute: ``value`` required, a string (ints accepted)."""
    result = []
    for item in _as_list(value):
        if isinstance(item, dict):
            item = {k: str(v) if _is_int(v) and _fold(k) == "value" else v for k, v in item.items()}
        elif _is_int(item):
            item = str(item)
        element = _element(attribute, item, keep_read_only=True)
        element = _strip(element) if isinstance(element, dict) else {}
        if not isinstance(element.get("value"), str):
            raise InvalidValue(
                f"Each element of {attribute.name!r} needs a 'value' (the member's id), "
                f"got {_show(item)}."
            )
        result.append(element)
    return result


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _strip(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if v is not None}


def _merge(old: Any, patch: dict[str, Any] | None) -> dict[str, Any] | None:
    """``old`` (a dict or nothing) updated with ``patch``; ``None`` entries unset; empty -> None."""
    merged = dict(old) if isinstance(old, dict) else {}
    for key, item in (patch or {}).items():
        if item is None:
            merged.pop(key, None)
        else:
            merged[key] = item
    return merged or None


def _add_element(attribute: Attribute, elements: list[Any], new: Any) -> Any:
    """Append ``new`` to ``elements`` or merge it into the same element; return the element."""
    for i, element in enumerate(elements):
        if _same_element(attribute, element, new):
            merged = {**element, **new} if isinstance(element, dict) else new
            _check_immutable(attribute, element, merged, elements=True)
            elements[i] = merged
            return merged
    elements.append(new)
    return new


def _same_element(attribute: Attribute, a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are the same element: same ``value`` (and ``type``), or equal."""
    if isinstance(a, dict) and isinstance(b, dict) and "value" in a and "value" in b:
        return all(
            _equal_as(attribute.sub_attribute(name), a[name], b[name])
            for name in ("value", "type")
            if name in a and name in b
        )
    return json_equal(a, b)


def _equal_as(attribute: Attribute | None, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str) and not (attribute and attribute.case_exact):
        return a.casefold() == b.casefold()
    return json_equal(a, b)


def _single_primary(attribute: Attribute, elements: list[Any], touched: list[Any]) -> None:
    """RFC 7643 §2.4: ``primary: true`` at most once; the last element set primary wins."""
    if attribute.sub_attribute("primary") is None:
        return
    winner = next(
        (e for e in reversed(touched) if isinstance(e, dict) and e.get("primary") is True), None
    )
    if winner is None:
        return
    for i, element in enumerate(elements):
        if element is not winner and isinstance(element, dict) and element.get("primary") is True:
            elements[i] = {**element, "primary": False}


def _check_immutable(attribute: Attribute, old: Any, new: Any, *, elements: bool = False) -> None:
    """Refuse changing a set immutable value (RFC 7643 §2.2), whole or sub-attribute.

    For the elements of a multi-valued attribute only their immutable sub-attributes are
    checked: adding and removing elements is allowed.
    """
    if old is None:
        return
    if attribute.mutability == "immutable" and not elements and not json_equal(old, new):
        raise Mutability(f"{attribute.name!r} is immutable: it cannot be changed once set.")
    if isinstance(old, dict) and isinstance(new, dict):
        for sub in attribute.sub_attributes:
            was = old.get(sub.name)
            changed = was is not None and not json_equal(was, new.get(sub.name))
            if sub.mutability == "immutable" and changed:
                raise Mutability(
                    f"'{attribute.name}.{sub.name}' is immutable: it cannot be changed once set."
                )


# Value filters.


def _check_filter(attribute: Attribute, node: Filter) -> None:
    """A value filter may only compare sub-attributes of ``attribute`` (RFC 7644 §3.5.2)."""
    if isinstance(node, And | Or):
        _check_filter(attribute, node.left)
        _check_filter(attribute, node.right)
    elif isinstance(node, Not):
        _check_filter(attribute, node.operand)
    elif isinstance(node, Compare | Present):
        path = node.path
        if (
            path.urn is not None
            or path.sub_attribute is not None
            or (attribute.sub_attribute(path.attribute) is None)
        ):
            raise InvalidFilter(
                f"The value filter of {attribute.name!r} names {str(path)!r}, which is not one "
                f"of its sub-attributes."
            )
    else:
        raise InvalidFilter(f"A value filter of {attribute.name!r} cannot nest another one.")


def _filter_equalities(attribute: Attribute, node: Filter | None) -> dict[str, Any] | None:
    """The element a filter of ``eq``s joined by ``and`` describes, e.g. ``{"type": "work"}``."""
    if isinstance(node, Compare) and node.op == "eq" and node.value is not None:
        sub = attribute.sub_attribute(node.path.attribute)
        if sub is None:
            return None
        try:
            return {sub.name: _element(sub, node.value)}
        except ScimError:
            return None
    if isinstance(node, And):
        left = _filter_equalities(attribute, node.left)
        right = _filter_equalities(attribute, node.right)
        if left is None or right is None:
            return None
        return {**left, **right}
    return None


def _filter_values(name: str, node: Filter) -> set[str]:
    """The ids a delta attribute's filter names: ``value eq "x"``, optionally ``or``-ed."""
    if isinstance(node, Or):
        return _filter_values(name, node.left) | _filter_values(name, node.right)
    if (
        isinstance(node, Compare)
        and node.op == "eq"
        and _fold(node.path.attribute) == "value"
        and node.path.sub_attribute is None
        and (isinstance(node.value, str) or _is_int(node.value))
    ):
        return {str(node.value)}
    raise InvalidFilter(
        f'Only value filters are supported on {name!r}: {name}[value eq "<id>"], '
        f'optionally joined with "or".'
    )


# Small helpers.


def _fold(key: Any) -> str:
    return key.casefold() if isinstance(key, str) else ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _show(value: Any, limit: int = 40) -> str:
    """``value`` for an error detail, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
