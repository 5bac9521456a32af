"""Request bodies -> normalized resources (RFC 7643 §2.1-§2.5, §3; RFC 7644 §3.3, §3.5.1).

``validate_resource`` checks a POST or PUT body against a ``ResourceType`` and returns the
normalized resource of docs/internals/protocol.md: canonical attribute names, extension
attributes under their URN key, ``id``/``meta``/``schemas`` dropped. ``coerce_value`` coerces
one attribute's value and is shared with ``patch.py``.

Always, whatever the leniency (RFC-mandated or harmless):

* attribute names and schema URNs match case-insensitively (``USERNAME`` -> ``userName``);
* ``null``, ``[]`` and ``{}`` mean "unassigned" (RFC 7643 §2.5): the key is dropped;
* ``id``, ``meta`` and ``schemas`` are dropped (the caller owns them), and so are readOnly
  attributes and sub-attributes such as ``groups`` or ``members.display`` (RFC 7644 §3.5.1);
* writeOnly attributes (``password``) are accepted; ``serialize`` never returns them;
* required attributes must be present and non-empty on create and on replace;
* with ``existing`` (PUT), an immutable attribute that already has a value must keep it
  (``Mutability`` otherwise) and is carried over when omitted; immutability of
  sub-attributes of multi-valued attributes (``members.value``) is per value, so not checked;
* canonicalValues are enforced only where ``schemas.canonical_values_enforced`` says so
  (host-declared enumerations, not RFC 7643's ``emails.type`` suggestions); a match is
  case-insensitive and yields the canonical spelling (``admin`` -> ``Admin``).

What differs is the ``Policy`` below, one table. ``True`` means "tolerate", and the
LENIENT column is the default because Okta and Entra send all of it
(docs/okta.md, docs/entra.md, docs/internals/protocol.md):

=======================  ===============================================  ======  =======
rule                     example                                          STRICT  LENIENT
=======================  ===============================================  ======  =======
schemas_optional         ``schemas`` absent, or without the core URN      reject  accept
unknown_schema_urns      ADSCIM Group URI, ``...enterprise:2.0User``       reject  ignore
unlisted_extensions      enterprise object, URN not in ``schemas``        reject  accept
unknown_extensions       ``"urn:...:other:2.0:User": {...}``              reject  drop
unknown_attributes       ``"foo": 1``, ``"name": {"foo": 1}``             reject  drop
qualified_keys           ``"urn:...:enterprise:2.0:User:department"``     reject  accept
                         or ``"name.givenName"`` as a key
wrap_single_values       ``"emails": {...}`` -> list; ``[x]`` -> ``x``    reject  accept
wrap_scalar_complex      ``"manager": "<id>"`` -> ``{"value": "<id>"}``;  reject  accept
                         ``"manager": ""`` -> unassigned
loose_scalars            ``"False"``, ``"42"``, ``42.0`` for boolean,     reject  accept
                         integer, decimal
numbers_as_strings       ``"employeeNumber": 42`` -> ``"42"``             reject  accept
several_primaries        two ``primary: true`` -> keep the first          reject  accept
=======================  ===============================================  ======  =======

Dropped input is reported, by path, in the optional ``dropped`` list.
"""

from __future__ import annotations

import base64
import binascii
import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from scim_provider.protocol.errors import InvalidSyntax, InvalidValue, Mutability
from scim_provider.protocol.schemas import (
    Attribute,
    ResourceType,
    Schema,
    canonical_values_enforced,
)
from scim_provider.protocol.values import json_copy

__all__ = ["POLICIES", "Leniency", "Policy", "coerce_value", "json_type", "validate_resource"]


class Leniency(enum.Enum):
    """How much of the IdPs' deviation from RFC 7643 to tolerate; see ``POLICIES``."""

    STRICT = "strict"
    LENIENT = "lenient"


@dataclass(frozen=True)
class Policy:
    """One leniency level: for each rule of the module docstring, whether it is tolerated."""

    schemas_optional: bool
    unknown_schema_urns: bool
    unlisted_extensions: bool
    unknown_extensions: bool
    unknown_attributes: bool
    qualified_keys: bool
    wrap_single_values: bool
    wrap_scalar_complex: bool
    loose_scalars: bool
    numbers_as_strings: bool
    several_primaries: bool


POLICIES: dict[Leniency, Policy] = {
    Leniency.STRICT: Policy(**{field.name: False for field in fields(Policy)}),
    Leniency.LENIENT: Policy(**{field.name: True for field in fields(Policy)}),
}


def _policy(leniency: Leniency | Policy) -> Policy:
    return leniency if isinstance(leniency, Policy) else POLICIES[leniency]


# Scalar types (RFC 7643 §2.3). Each converter returns the value or raises _Mismatch.


class _Mismatch(Exception):
    """The value does not have the attribute's type; the message says what was expected."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_string(value: Any, policy: Policy) -> str:
    if isinstance(value, str):
        return value
    if policy.numbers_as_strings and _is_number(value):
        return str(value)
    raise _Mismatch("a string")


def _as_boolean(value: Any, policy: Policy) -> bool:
    if isinstance(value, bool):
        return value
    if policy.loose_scalars and isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return text == "true"
    raise _Mismatch("a boolean (true or false)")


def _as_integer(value: Any, policy: Policy) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if policy.loose_scalars:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            return int(value)
    raise _Mismatch("an integer")


def _as_decimal(value: Any, policy: Policy) -> float:
    if _is_number(value) or (policy.loose_scalars and isinstance(value, str)):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            pass
        else:
            if math.isfinite(number):
                return number
    raise _Mismatch("a decimal number")


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.I)


def _as_datetime(value: Any, policy: Policy) -> str:
    """An xsd:dateTime (RFC 7643 §2.3.5), kept as the string sent."""
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return value
    raise _Mismatch("an ISO 8601 dateTime such as 2024-01-01T12:00:00Z")


def _as_reference(value: Any, policy: Policy) -> str:
    if isinstance(value, str):
        return value
    raise _Mismatch("a URI reference string")


def _as_binary(value: Any, policy: Policy) -> str:
    if isinstance(value, str):
        try:
            base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            pass
        else:
            return value
    raise _Mismatch("base64-encoded binary data")


_SCALARS: dict[str, Callable[[Any, Policy], Any]] = {
    "string": _as_string,
    "boolean": _as_boolean,
    "integer": _as_integer,
    "decimal": _as_decimal,
    "dateTime": _as_datetime,
    "reference": _as_reference,
    "binary": _as_binary,
}


def _is_unassigned(value: Any) -> bool:
    """RFC 7643 §2.5: null and empty collections are unassigned."""
    return value is None or value == [] or value == {}


def _describe(value: Any, attribute: Attribute | None = None) -> str:
    """``value`` for an error detail; only its type for a secret ``attribute`` (a password
    quoted in an error would be stored with the error, and shown to whoever reads it)."""
    if attribute is not None and attribute.secret:
        return f"a {json_type(value)} (value not shown)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_type(value: Any) -> str:
    """The JSON type of ``value``, for error details that must not quote it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


class _Coercer:
    """Applies one ``Policy`` to values, recording what it drops."""

    def __init__(self, policy: Policy, dropped: list[str] | None = None) -> None:
        self.policy = policy
        self.dropped = dropped

    def tolerate(self, allowed: bool, path: str, message: str) -> None:
        """Record ``path`` as dropped if ``allowed``, else raise ``InvalidValue(message)``."""
        if not allowed:
            raise InvalidValue(message)
        self.ignore(path)

    def ignore(self, path: str) -> None:
        if self.dropped is not None:
            self.dropped.append(path)

    def value(self, attribute: Attribute, value: Any, path: str) -> Any:
        """``value`` coerced to ``attribute``; ``None`` when unassigned."""
        if value is None:
            return None
        if attribute.multi_valued:
            if not isinstance(value, list):
                if not self.policy.wrap_single_values:
                    raise InvalidValue(f"Attribute {path!r} is multi-valued: send a list.")
                value = [value]
            items = [self.single(attribute, item, path) for item in value]
            items = [item for item in items if not _is_unassigned(item)]
            if attribute.type == "complex":
                self.check_primary(items, path)
            return items
        if isinstance(value, list):
            if not self.policy.wrap_single_values or len(value) > 1:
                raise InvalidValue(f"Attribute {path!r} is single-valued: send one value.")
            return self.single(attribute, value[0], path) if value else None
        return self.single(attribute, value, path)

    def single(self, attribute: Attribute, value: Any, path: str) -> Any:
        """One value (an element, if multi-valued) of ``attribute``."""
        if value is None:
            return None
        if attribute.type == "complex":
            return self.complex(attribute, value, path)
        try:
            coerced = _SCALARS[attribute.type](value, self.policy)
        except _Mismatch as mismatch:
            raise InvalidValue(
                f"Attribute {path!r} must be {mismatch}, not {_describe(value, attribute)}."
            ) from None
        if isinstance(coerced, str) and canonical_values_enforced(attribute):
            return self.canonical(attribute, coerced, path)
        return coerced

    def canonical(self, attribute: Attribute, value: str, path: str) -> str:
        folded = value.casefold()
        for canonical in attribute.canonical_values:
            if canonical.casefold() == folded:
                return canonical
        allowed = ", ".join(attribute.canonical_values)
        raise InvalidValue(
            f"Attribute {path!r} must be one of {allowed}, not {_describe(value, attribute)}."
        )

    def complex(self, attribute: Attribute, value: Any, path: str) -> dict[str, Any] | None:
        """A complex value: sub-attributes coerced under their canonical names."""
        if not isinstance(value, dict):
            if not (self.policy.wrap_scalar_complex and isinstance(value, str | int)):
                raise InvalidValue(f"Attribute {path!r} is complex: send a JSON object.")
            if value == "":
                return None
            if attribute.sub_attribute("value") is None:
                raise InvalidValue(f"Attribute {path!r} is complex: send a JSON object.")
            value = {"value": value}
        result: dict[str, Any] = {}
        for key, sub_value in value.items():
            sub = attribute.sub_attribute(key)
            if sub is None:
                self.tolerate(
                    self.policy.unknown_attributes,
                    f"{path}.{key}",
                    f"Unknown sub-attribute {key!r} of {path!r}.",
                )
            elif sub.mutability == "readOnly":
                self.ignore(f"{path}.{sub.name}")
            else:
                coerced = self.value(sub, sub_value, f"{path}.{sub.name}")
                if not _is_unassigned(coerced):
                    result[sub.name] = coerced
        return result

    def check_primary(self, items: list[dict[str, Any]], path: str) -> None:
        """RFC 7643 §2.4: ``primary: true`` appears at most once."""
        seen = False
        for item in items:
            if item.get("primary") is True:
                if seen and not self.policy.several_primaries:
                    raise InvalidValue(f"Attribute {path!r} has more than one primary value.")
                item["primary"] = not seen
                seen = True


def coerce_value(
    attribute: Attribute,
    value: Any,
    *,
    leniency: Leniency | Policy = Leniency.LENIENT,
    path: str | None = None,
) -> Any:
    """``value`` coerced to ``attribute``'s type: a scalar, a dict or a list.

    Handles one value or, for a multi-valued attribute, a list (a lone value is wrapped in
    LENIENT). Returns ``None`` for null (and for ``""`` given to a complex attribute in
    LENIENT: Entra clears ``manager`` that way). Unknown and readOnly sub-attributes are
    dropped (unknown ones rejected in STRICT); the attribute's own mutability is the
    caller's concern. Raises ``InvalidValue`` naming ``path`` (default: the attribute name).
    """
    return _Coercer(_policy(leniency)).value(attribute, value, path or attribute.name)


# Whole resources.


def validate_resource(
    body: Any,
    resource_type: ResourceType,
    *,
    leniency: Leniency | Policy = Leniency.LENIENT,
    existing: dict[str, Any] | None = None,
    dropped: list[str] | None = None,
) -> dict[str, Any]:
    """The normalized resource of a POST (``existing=None``) or PUT (``existing`` = current).

    ``dropped``, when given, receives the path of every tolerated attribute or extension
    that was left out (unknown or readOnly). See the module docstring for the rules.
    """
    if not isinstance(body, dict):
        raise InvalidSyntax("The request body must be a JSON object.")
    coercer = _Coercer(_policy(leniency), dropped)
    listed = _listed_schemas(body, resource_type, coercer.policy)
    raw = _collect(body, resource_type, coercer)

    resource: dict[str, Any] = {}
    for schema in resource_type.all_schemas():
        values = raw.get(schema.id)
        if not values:
            continue
        is_core = schema is resource_type.schema
        if not (is_core or schema.id.casefold() in listed or coercer.policy.unlisted_extensions):
            raise InvalidValue(f"Extension {schema.id!r} is present but not listed in 'schemas'.")
        target = resource if is_core else {}
        for attribute in schema.attributes:
            if attribute.name not in values:
                continue
            path = attribute.name if is_core else f"{schema.id}:{attribute.name}"
            if attribute.mutability == "readOnly":
                coercer.ignore(path)
                continue
            value = coercer.value(attribute, values[attribute.name], path)
            if not _is_unassigned(value):
                target[attribute.name] = value
        if target and not is_core:
            resource[schema.id] = target

    if existing is not None:
        _keep_immutable(resource, existing, resource_type)
    _check_required(resource, resource_type)
    return resource


def _listed_schemas(body: dict[str, Any], resource_type: ResourceType, policy: Policy) -> set[str]:
    """The case-folded URNs of ``schemas``, after checking them against ``policy``."""
    schemas = next((value for key, value in body.items() if key.casefold() == "schemas"), None)
    if schemas is None:
        if not policy.schemas_optional:
            raise InvalidSyntax("The request body must list its schema URNs in 'schemas'.")
        return set()
    if not isinstance(schemas, list) or not all(isinstance(urn, str) for urn in schemas):
        raise InvalidSyntax("'schemas' must be a list of schema URNs.")
    listed = {urn.casefold() for urn in schemas}
    if resource_type.schema.id.casefold() not in listed and not policy.schemas_optional:
        raise InvalidValue(f"'schemas' must include {resource_type.schema.id!r}.")
    unknown = [urn for urn in schemas if resource_type.schema_for(urn) is None]
    if unknown and not policy.unknown_schema_urns:
        raise InvalidValue(
            f"Unknown schema(s) for {resource_type.name} in 'schemas': {', '.join(unknown)}."
        )
    return listed


_CALLER_OWNED = frozenset({"id", "meta", "schemas"})


def _collect(
    body: dict[str, Any], resource_type: ResourceType, coercer: _Coercer
) -> dict[str, dict[str, Any]]:
    """The body's raw values grouped as {schema URN: {canonical attribute name: value}}.

    Extension objects, URN-qualified keys and dotted keys all land in the same place, so
    ``"name.givenName"`` and ``"name": {...}`` merge.
    """
    raw: dict[str, dict[str, Any]] = {}
    policy = coercer.policy
    for key, value in body.items():
        if key.casefold() in _CALLER_OWNED or value is None:
            continue
        schema = resource_type.schema_for(key)
        if schema is not None and schema is not resource_type.schema:
            if not isinstance(value, dict):
                raise InvalidValue(f"Extension {schema.id!r} must be a JSON object.")
            for name, sub_value in value.items():
                _place(raw, schema, name, sub_value, f"{schema.id}:{name}", coercer)
            continue
        schema, name = _split_urn(key, resource_type)
        if schema is None:
            coercer.tolerate(
                policy.unknown_extensions,
                key,
                f"Unknown schema or attribute {key!r} for {resource_type.name}.",
            )
            continue
        if name != key and not policy.qualified_keys:
            raise InvalidValue(f"Send {key!r} inside its schema's object, not URN-qualified.")
        _place(raw, schema, name, value, key, coercer)
    return raw


def _split_urn(key: str, resource_type: ResourceType) -> tuple[Schema | None, str]:
    """(schema, rest) for ``urn:...:User:rest``; (core schema, key) when not a URN."""
    if not key.casefold().startswith("urn:"):
        return resource_type.schema, key
    for schema in resource_type.all_schemas():
        if key.casefold().startswith(schema.id.casefold() + ":"):
            return schema, key[len(schema.id) + 1 :]
    return None, key


def _place(
    raw: dict[str, dict[str, Any]],
    schema: Schema,
    name: str,
    value: Any,
    path: str,
    coercer: _Coercer,
) -> None:
    """Put ``value`` for ``name`` (``attr`` or ``attr.sub``) of ``schema`` into ``raw``."""
    attribute_name, _, sub_name = name.partition(".")
    if sub_name and not coercer.policy.qualified_keys:
        raise InvalidValue(f"Send {path!r} as a nested object, not as a dotted key.")
    attribute = schema.attribute(attribute_name)
    if attribute is None or (sub_name and attribute.type != "complex"):
        coercer.tolerate(coercer.policy.unknown_attributes, path, f"Unknown attribute {path!r}.")
        return
    bucket = raw.setdefault(schema.id, {})
    if sub_name:
        if attribute.multi_valued:
            raise InvalidValue(f"Cannot set {path!r}: {attribute.name!r} is multi-valued.")
        value = {sub_name: value}
    previous = bucket.get(attribute.name)
    if isinstance(previous, dict) and isinstance(value, dict):
        value = {**previous, **value}
    bucket[attribute.name] = value


def _check_required(resource: dict[str, Any], resource_type: ResourceType) -> None:
    """RFC 7643 §2.2, §6: required attributes and required extensions are present."""
    missing: list[str] = []
    for schema in resource_type.all_schemas():
        is_core = schema is resource_type.schema
        values = resource if is_core else resource.get(schema.id)
        if values is None:
            if (schema, True) in resource_type.extensions:
                missing.append(schema.id)
            continue
        prefix = "" if is_core else f"{schema.id}:"
        missing.extend(_missing(schema.attributes, values, prefix))
    if missing:
        raise InvalidValue(f"Missing required attribute(s): {', '.join(missing)}.")


def _missing(attributes: tuple[Attribute, ...], values: dict[str, Any], prefix: str) -> list[str]:
    missing = []
    for attribute in attributes:
        if attribute.mutability == "readOnly":
            continue
        value = values.get(attribute.name)
        if attribute.required and (_is_unassigned(value) or value == ""):
            missing.append(prefix + attribute.name)
        elif attribute.type == "complex" and value:
            sub_prefix = f"{prefix}{attribute.name}."
            for item in value if attribute.multi_valued else [value]:
                missing.extend(_missing(attribute.sub_attributes, item, sub_prefix))
    return missing


def _keep_immutable(
    resource: dict[str, Any], existing: dict[str, Any], resource_type: ResourceType
) -> None:
    """RFC 7644 §3.5.1: an immutable value already set must be sent unchanged or omitted."""
    for schema in resource_type.all_schemas():
        if schema is resource_type.schema:
            _keep_immutable_in(schema.attributes, resource, existing, "")
            continue
        old = existing.get(schema.id)
        if isinstance(old, dict):
            new = resource.get(schema.id, {})
            _keep_immutable_in(schema.attributes, new, old, f"{schema.id}:")
            if new:
                resource[schema.id] = new


def _keep_immutable_in(
    attributes: tuple[Attribute, ...], new: dict[str, Any], old: dict[str, Any], prefix: str
) -> None:
    for attribute in attributes:
        if _is_unassigned(old.get(attribute.name)):
            continue
        old_value, path = old[attribute.name], prefix + attribute.name
        if attribute.mutability == "immutable":
            if attribute.name not in new:
                new[attribute.name] = json_copy(old_value)
            elif _fold(attribute, new[attribute.name]) != _fold(attribute, old_value):
                raise Mutability(
                    f"Attribute {path!r} is immutable: it cannot change from "
                    f"{_describe(old_value, attribute)} to "
                    f"{_describe(new[attribute.name], attribute)}."
                )
        elif attribute.type == "complex" and not attribute.multi_valued:
            new_value = new.get(attribute.name, {})
            if isinstance(new_value, dict) and isinstance(old_value, dict):
                _keep_immutable_in(attribute.sub_attributes, new_value, old_value, path + ".")
                if new_value:
                    new[attribute.name] = new_value


def _fold(attribute: Attribute, value: Any) -> Any:
    """``value`` for comparison: case-insensitive strings fold (RFC 7643 §2.2 caseExact)."""
    if isinstance(value, str) and not attribute.case_exact:
        return value.casefold()
    return value
