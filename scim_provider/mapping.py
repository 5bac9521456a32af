"""Where each SCIM attribute lives on the host: a field, a related model's field, or accessors.

A ``Mapping`` joins one SCIM path of a normalized resource (see
``docs/internals/protocol.md``) to the host's user (or group) object:

* ``"userName"``, ``"name.givenName"``, ``"active"``: plain and sub-attributes;
* ``"emails[primary].value"``: the primary element of a multi-valued attribute (the first
  one when none is marked primary);
* ``"urn:...:enterprise:2.0:User:employeeNumber"``: extension attributes;
* ``"profile.location"``: Okta custom attributes in the core namespace.

It reads and writes the host object through a model field (``"first_name"``), a field of a
one-to-one related model (``"profile__location"``, the related row is created on first
write) or a getter/setter pair. Attributes without a mapping are kept in ``ScimUser.attributes``
as JSON. A value the host field cannot hold as it is (longer than ``max_length``, not a
number for a numeric field) is a 400 ``invalidValue`` naming the attribute and the limit:
nothing is ever cut. A mapped field the model does not have is skipped at registration.

``HostRow`` saves a host object (and the one-to-one rows mappings write through) with
``update_fields``: only the columns whose value changed during the request, so that a
concurrent write of other columns (a login's ``last_login``, a password changed in the
host's own pages) is never overwritten with a stale value.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models

from .protocol import errors
from .protocol.schemas import ResourceType
from .protocol.values import json_copy

_PATH = re.compile(
    r"^(?:(?P<urn>urn:[^\[\]]+):)?(?P<attribute>[A-Za-z$][\w$-]*)"
    r"(?P<primary>\[primary\])?(?:\.(?P<sub>[A-Za-z$][\w$-]*))?$"
)


@dataclass(frozen=True)
class ResourcePath:
    """A path into a normalized resource; ``urn`` is None for the core schema."""

    attribute: str
    sub_attribute: str | None = None
    urn: str | None = None
    primary: bool = False

    @classmethod
    def parse(cls, text: str, resource_type: ResourceType) -> ResourcePath:
        """Parse ``text`` and canonicalize its names against ``resource_type``."""
        from .protocol.paths import AttributePath

        match = _PATH.match(text)
        if match is None:
            raise ValueError(f"Not a SCIM attribute path: {text!r}")
        urn = match["urn"]
        schema, attribute, sub = resource_type.resolve(
            AttributePath(match["attribute"], match["sub"], urn)
        )
        return cls(
            attribute=attribute.name,
            sub_attribute=sub.name if sub else None,
            urn=None if schema is resource_type.schema else schema.id,
            primary=bool(match["primary"]),
        )

    def __str__(self) -> str:
        text = f"{self.urn}:{self.attribute}" if self.urn else self.attribute
        if self.primary:
            text += "[primary]"
        return f"{text}.{self.sub_attribute}" if self.sub_attribute else text

    @property
    def top(self) -> str:
        """The canonical name of the top-level attribute: ``name``, ``urn:...:manager``."""
        return f"{self.urn}:{self.attribute}" if self.urn else self.attribute


def primary_element(values: Any) -> dict | None:
    """The element marked primary, else the first one (RFC 7643 §2.4)."""
    if not isinstance(values, list):
        return None
    elements = [v for v in values if isinstance(v, dict)]
    return next((v for v in elements if v.get("primary") is True), None) or (
        elements[0] if elements else None
    )


def get_value(resource: dict, path: ResourcePath) -> Any:
    container = resource.get(path.urn) if path.urn else resource
    if not isinstance(container, dict):
        return None
    value = container.get(path.attribute)
    if path.primary:
        value = primary_element(value)
    if path.sub_attribute is not None:
        value = value.get(path.sub_attribute) if isinstance(value, dict) else None
    return value


def set_value(resource: dict, path: ResourcePath, value: Any) -> None:
    """Set (or, with ``None``, remove) the value at ``path`` in place."""
    container = resource.setdefault(path.urn, {}) if path.urn else resource
    if path.primary:
        values = container.setdefault(path.attribute, [])
        element = primary_element(values)
        if element is None:
            if value is None:
                _prune(resource, container, path)
                return
            element = {"primary": True}
            values.append(element)
        target, key = element, path.sub_attribute or "value"
    elif path.sub_attribute is not None:
        target, key = container.setdefault(path.attribute, {}), path.sub_attribute
    else:
        target, key = container, path.attribute
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
    _prune(resource, container, path)


def _prune(resource: dict, container: dict, path: ResourcePath) -> None:
    """Drop containers that a removal left empty."""
    held = container.get(path.attribute)
    if path.primary and isinstance(held, list) and path.sub_attribute in (None, "value"):
        held[:] = [v for v in held if isinstance(v, dict) and v.get("value") is not None]
    if held in ({}, []):
        container.pop(path.attribute, None)
    if path.urn and not container:
        resource.pop(path.urn, None)


def remove_value(resource: dict, path: ResourcePath) -> None:
    """Remove what ``path`` maps, unless it is one element of a list kept as a whole."""
    if not path.primary:
        set_value(resource, path, None)


@dataclass(frozen=True)
class Mapping:
    """One SCIM path stored on the host object."""

    path: ResourcePath
    field: str | None = None
    getter: Callable[[Any], Any] | None = None
    setter: Callable[[Any, Any], None] | None = None
    # Filled in by ``bind()`` for field mappings.
    model_field: models.Field | None = dataclasses.field(default=None, compare=False)
    relation: str | None = dataclasses.field(default=None, compare=False)

    @property
    def lookup(self) -> str | None:
        """The ORM lookup from the host object, for filters and sorting (None: accessors)."""
        return self.field

    def bind(self, model: type[models.Model]) -> Mapping | None:
        """This mapping checked against ``model``; None if the model lacks the field."""
        if self.field is None:
            return self
        names = self.field.split("__")
        try:
            if len(names) == 1:
                return _replace(self, model_field=model._meta.get_field(names[0]))
            if len(names) == 2:
                relation = model._meta.get_field(names[0])
                if not relation.one_to_one:
                    return None
                related_field = relation.related_model._meta.get_field(names[1])
                return _replace(self, model_field=related_field, relation=names[0])
        except FieldDoesNotExist:
            return None
        return None

    @property
    def always_assigned(self) -> bool:
        """Whether the host field cannot be empty (a non-null boolean such as ``is_active``):
        reading it back cannot tell that the attribute was removed."""
        field = self.model_field
        return isinstance(field, models.BooleanField) and not field.null

    def read(self, obj: Any) -> Any:
        if self.getter is not None:
            return self.getter(obj)
        if self.field is None:
            return None
        target = _related(obj, self.relation) if self.relation else obj
        if target is None:
            return None
        value = getattr(target, self.model_field.attname)
        # A blank string field is how ``fit`` stores "unassigned" (RFC 7643 §2.5).
        return None if value == "" else value

    def write(self, obj: Any, value: Any, pending: dict[str, models.Model]) -> None:
        """Set ``value`` on ``obj``; related rows to save after ``obj`` go into ``pending``."""
        if self.setter is not None:
            self.setter(obj, value)
            return
        if self.field is None:
            return
        unassigned = value is None or value == ""
        value = self.fit(value)
        if self.relation:
            target = pending.get(self.relation) or _related(obj, self.relation)
            if target is None:
                if unassigned:  # no related row to create for nothing
                    return
                relation = type(obj)._meta.get_field(self.relation)
                target = relation.related_model(**{relation.field.name: obj})
            pending[self.relation] = target
            setattr(target, self.model_field.attname, value)
        else:
            setattr(obj, self.model_field.attname, value)

    def fit(self, value: Any) -> Any:
        """The value the model field stores for ``value``: the field's blank for None.

        A value the field cannot hold as it is raises a 400 ``invalidValue`` naming the
        attribute and the limit: too long for ``max_length``, not convertible to the field's
        type, out of the column's range. Nothing is cut or coerced lossily.
        """
        model_field = self.model_field
        if value is None:
            if model_field.null:
                return None
            if model_field.has_default():
                return model_field.get_default()  # an unassigned "active" is the default
            if isinstance(model_field, models.BooleanField):
                return False
            return "" if isinstance(model_field, (models.CharField, models.TextField)) else None
        if isinstance(model_field, (models.CharField, models.TextField)):
            value = value if isinstance(value, str) else str(value)
            limit = model_field.max_length
            if limit and len(value) > limit:
                raise errors.InvalidValue(
                    f"{self.path} is {len(value)} characters long; "
                    f"at most {limit} can be stored."
                )
            return value
        try:
            converted = model_field.to_python(value)
            for validator in _storage_validators(model_field):
                validator(converted)
        except ValidationError:
            raise errors.InvalidValue(
                f"{self.path} cannot be stored as a {model_field.get_internal_type()}: "
                f"{str(value)[:40]!r}."
            ) from None
        return converted


def _storage_validators(model_field: models.Field) -> list:
    """The validators of ``model_field`` that say what the column can hold (numeric ranges,
    digits), not what the host's forms accept (a username's characters)."""
    from django.core import validators

    kinds = (
        validators.MinValueValidator,
        validators.MaxValueValidator,
        validators.DecimalValidator,
    )
    return [v for v in model_field.validators if isinstance(v, kinds)]


class HostRow:
    """A host object and the one-to-one related rows written with it, saved with only the
    columns that changed since it was read (``update_fields``).

    Taken before the request changes anything: ``HostRow(user, relations)`` remembers the
    concrete field values of ``user`` and of its loaded related rows ``relations``. New
    objects (``_state.adding``) are inserted whole.
    """

    def __init__(self, obj: models.Model, relations: tuple[str, ...] = ()) -> None:
        self.obj = obj
        self.before: dict[int, dict[str, Any]] = {}
        if obj._state.adding:
            return
        self.before[id(obj)] = _values(obj)
        for relation in relations:
            related = _related(obj, relation)
            if related is not None and not related._state.adding:
                self.before[id(related)] = _values(related)

    def save(self, related: dict[str, models.Model] | None = None) -> None:
        """Save the object, then the related rows ``related`` (new ones after it)."""
        self._save(self.obj)
        for target in (related or {}).values():
            self._save(target)

    def changed(self, obj: models.Model) -> list[str]:
        """Names of the concrete fields of ``obj`` whose value changed since it was read."""
        before = self.before.get(id(obj))
        if before is None:
            return [f.name for f in obj._meta.concrete_fields if not f.primary_key]
        after = _values(obj)
        return [
            f.name
            for f in obj._meta.concrete_fields
            if not f.primary_key and before[f.attname] != after[f.attname]
        ]

    def _save(self, obj: models.Model) -> None:
        if obj._state.adding or id(obj) not in self.before:
            obj.save()
            return
        fields = self.changed(obj)
        if fields:
            fields += [
                f.name
                for f in obj._meta.concrete_fields
                if getattr(f, "auto_now", False) and f.name not in fields
            ]
            obj.save(update_fields=fields)


def _values(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of ``obj`` (JSON containers copied: a setter may mutate them)."""
    values = {}
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        values[f.attname] = json_copy(value) if isinstance(value, (dict, list)) else value
    return values


def _replace(mapping: Mapping, **changes: Any) -> Mapping:
    return dataclasses.replace(mapping, **changes)


def _related(obj: Any, relation: str) -> models.Model | None:
    try:
        return getattr(obj, relation)
    except models.ObjectDoesNotExist:
        return None
