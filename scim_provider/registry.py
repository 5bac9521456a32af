"""The attribute registry: the SCIM attributes a deployment serves and where they live.

Core attributes map to host fields through the ``USER_FIELDS`` setting (defaults suit
``django.contrib.auth``-style models); custom attributes are registered, either from the
host's ``AppConfig.ready()``::

    from scim_provider import registry

    registry.register("profile.location", field="profile__location")
    registry.register(
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User:OrganizationRole",
        canonical_values=["Admin", "User", "Guest"],
        field="profile__role",
    )

or from the ``USER_ATTRIBUTES`` / ``GROUP_ATTRIBUTES`` settings (lists of dicts with the same
keys). Each registration adds the attribute to the schema (so it appears in ``/Schemas``,
is validated, filterable and patchable) and, when it names a ``field`` or a
``getter``/``setter``, maps it onto the host object; otherwise its value is kept as JSON on
the link row. Nothing is registered at import time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.signals import setting_changed

from . import compiled
from .conf import scim_settings
from .mapping import Mapping, ResourcePath
from .protocol import schemas
from .protocol.schemas import Attribute, ResourceType, Schema

USER = "User"
GROUP = "Group"

_CORE_URNS = {USER: schemas.USER_URN, GROUP: schemas.GROUP_URN}


@dataclass(frozen=True)
class AttributeSpec:
    """One registered attribute."""

    path: str
    resource: str = USER
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    description: str = ""
    field: str | None = None
    getter: Callable[[Any], Any] | None = None
    setter: Callable[[Any, Any], None] | None = None
    sensitive: bool = False

    @property
    def urn(self) -> str | None:
        """The schema URN of an URN-qualified path (None for the core namespace)."""
        if not self.path.startswith("urn:"):
            return None
        urn = self.path.rsplit(":", 1)[0]
        return None if urn.lower() == _CORE_URNS[self.resource].lower() else urn

    @property
    def name_parts(self) -> tuple[str, str | None]:
        name = self.path.rsplit(":", 1)[-1] if self.path.startswith("urn:") else self.path
        attribute, _, sub = name.partition(".")
        return attribute, sub or None

    def attribute(self) -> Attribute:
        attribute, sub = self.name_parts
        leaf = Attribute(
            sub or attribute,
            self.type,
            multi_valued=self.multi_valued,
            required=self.required,
            case_exact=self.case_exact,
            mutability=self.mutability,
            returned=self.returned,
            uniqueness=self.uniqueness,
            canonical_values=tuple(self.canonical_values),
            description=self.description,
            sensitive=self.sensitive,
        )
        if sub is None:
            return leaf
        # A required sub-attribute makes its parent required: RFC 7643 only checks the
        # sub-attributes of a complex value that is present.
        return Attribute(
            attribute, "complex", sub_attributes=(leaf,), required=self.required, description=""
        )


# Default mapping of core User attributes onto Django's auth.User-like models; a model
# without one of these fields simply does not get it (see ``Mapping.bind``).
def default_user_fields() -> dict[str, str | None]:
    model = get_user_model()
    email_field = model.get_email_field_name()
    return {
        "userName": model.USERNAME_FIELD,
        "name.givenName": "first_name",
        "name.familyName": "last_name",
        # When the email is the login (USERNAME_FIELD = "email"), userName owns the field:
        # mapping both would let the primary email overwrite the userName (or blank it).
        "emails[primary].value": None if email_field == model.USERNAME_FIELD else email_field,
        "active": "is_active",
    }


def default_group_fields() -> dict[str, str | None]:
    return {"displayName": "name"}


class Registry:
    """Registered attributes, and the resource types and mappings built from them."""

    def __init__(self) -> None:
        self._specs: list[AttributeSpec] = []
        self._cache: dict[Hashable, Any] = {}

    def register(self, path: str, **options: Any) -> AttributeSpec:
        """Register the SCIM attribute ``path``; see the module docstring."""
        if "canonical_values" in options:
            options["canonical_values"] = tuple(options["canonical_values"])
        spec = AttributeSpec(path=path, **options)
        if spec.resource not in _CORE_URNS:
            raise ValueError(f"resource must be 'User' or 'Group', not {spec.resource!r}")
        if spec.field and (spec.getter or spec.setter):
            raise ValueError(f"{path}: give either field or getter/setter, not both")
        self.unregister(path, resource=spec.resource)
        self._specs.append(spec)
        self.clear_cache()
        return spec

    def unregister(self, path: str, *, resource: str = USER) -> None:
        self._specs = [s for s in self._specs if not (s.path == path and s.resource == resource)]
        self.clear_cache()

    def clear_cache(self, **kwargs: Any) -> None:
        self._cache.clear()
        compiled.clear_all()  # queries compiled against the old mappings

    def specs(self, resource: str) -> list[AttributeSpec]:
        setting = "USER_ATTRIBUTES" if resource == USER else "GROUP_ATTRIBUTES"
        from_settings = [
            AttributeSpec(**{"resource": resource, **_tupled(options)})
            for options in getattr(scim_settings, setting)
        ]
        return [*from_settings, *(s for s in self._specs if s.resource == resource)]

    def resource_type(self, resource: str) -> ResourceType:
        key = f"type:{resource}"
        if key not in self._cache:
            self._cache[key] = self._build_resource_type(resource)
        return self._cache[key]

    def resource_types(self) -> dict[str, ResourceType]:
        return {name: self.resource_type(name) for name in (USER, GROUP)}

    def mappings(self, resource: str, model) -> tuple[Mapping, ...]:
        """The bound mappings of ``resource`` onto ``model``."""
        key = f"mappings:{resource}:{model._meta.label}"
        if key not in self._cache:
            self._cache[key] = self._build_mappings(resource, model)
        return self._cache[key]

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()``, kept until the registry or the settings change: tables derived
        from the resource types and mappings (``scim_provider.multivalued``)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def sensitive_paths(self, resource: str) -> frozenset[str]:
        return frozenset(s.path for s in self.specs(resource) if s.sensitive)

    def unstorable_paths(self, resource: str) -> tuple[ResourcePath, ...]:
        """Paths whose values are never kept in a link's JSON: ``writeOnly`` and
        ``returned: never`` attributes (``password``), which no GET may return, so that
        keeping them would only keep a secret at rest. A mapping may still write them."""
        key = f"unstorable:{resource}"
        if key not in self._cache:
            resource_type = self.resource_type(resource)
            paths = []
            extensions = [schema for schema, _required in resource_type.extensions]
            for schema in (resource_type.schema, *extensions):
                urn = None if schema is resource_type.schema else schema.id
                for attribute in schema.attributes:
                    if attribute.mutability == "writeOnly" or attribute.returned == "never":
                        paths.append(ResourcePath(attribute.name, urn=urn))
                    elif attribute.type == "complex" and not attribute.multi_valued:
                        paths += [
                            ResourcePath(attribute.name, sub.name, urn=urn)
                            for sub in attribute.sub_attributes
                            if sub.mutability == "writeOnly" or sub.returned == "never"
                        ]
            self._cache[key] = tuple(paths)
        return self._cache[key]

    def _build_resource_type(self, resource: str) -> ResourceType:
        core = schemas.USER_SCHEMA if resource == USER else schemas.GROUP_SCHEMA
        extensions: dict[str, Schema] = {}
        if resource == USER and scim_settings.ENTERPRISE_USER:
            extensions[schemas.ENTERPRISE_USER_URN] = schemas.ENTERPRISE_USER_SCHEMA
        for spec in self.specs(resource):
            urn = spec.urn
            if urn is None:
                core = _extend(core, spec.attribute())
                continue
            known = next((u for u in extensions if u.lower() == urn.lower()), None)
            base = extensions.pop(known) if known else _new_extension(urn, resource)
            extensions[base.id] = _extend(base, spec.attribute())
        setting = "USER_REQUIRED_ATTRIBUTES" if resource == USER else "GROUP_REQUIRED_ATTRIBUTES"
        for path in getattr(scim_settings, setting):
            core, extensions = _require(path, core, extensions)
        if resource == USER:
            return schemas.user_resource_type(
                tuple((schema, False) for schema in extensions.values()),
                schema=core,
                enterprise=False,
            )
        return schemas.group_resource_type(
            tuple((schema, False) for schema in extensions.values()), schema=core
        )

    def _build_mappings(self, resource: str, model) -> tuple[Mapping, ...]:
        resource_type = self.resource_type(resource)
        if resource == USER:
            fields = {**default_user_fields(), **scim_settings.USER_FIELDS}
        else:
            fields = {**default_group_fields(), **scim_settings.GROUP_FIELDS}
        candidates = [
            Mapping(ResourcePath.parse(path, resource_type), field=field)
            for path, field in fields.items()
            if field
        ]
        for spec in self.specs(resource):
            if spec.field or spec.getter or spec.setter:
                path = ResourcePath.parse(spec.path, resource_type)
                candidates = [m for m in candidates if m.path != path]
                candidates.append(
                    Mapping(path, field=spec.field, getter=spec.getter, setter=spec.setter)
                )
        bound = (mapping.bind(model) for mapping in candidates)
        return tuple(mapping for mapping in bound if mapping is not None)


def _tupled(options: dict[str, Any]) -> dict[str, Any]:
    options = dict(options)
    if "canonical_values" in options:
        options["canonical_values"] = tuple(options["canonical_values"])
    for hook in ("getter", "setter"):
        if isinstance(options.get(hook), str):
            from django.utils.module_loading import import_string

            options[hook] = import_string(options[hook])
    return options


def _extend(schema: Schema, attribute: Attribute) -> Schema:
    """``extend_schema``, keeping a complex parent required once a sub-attribute made it so."""
    old = schema.attribute(attribute.name)
    if old is not None and old.required and attribute.type == "complex":
        attribute = dataclasses.replace(attribute, required=True)
    return schemas.extend_schema(schema, attribute)


def _require(
    path: str, core: Schema, extensions: dict[str, Schema]
) -> tuple[Schema, dict[str, Schema]]:
    """Mark the attribute at ``path`` (and, for a sub-attribute, its parent) required,
    keeping its definition: ``name.givenName``, ``urn:...:User:employeeNumber``."""
    urn, _, name = path.rpartition(":") if path.startswith("urn:") else ("", "", path)
    schema = next((s for u, s in extensions.items() if u.lower() == urn.lower()), None)
    if schema is None:
        schema = core
    attribute_name, _, sub_name = name.partition(".")
    attribute = schema.attribute(attribute_name)
    if attribute is None or (sub_name and attribute.sub_attribute(sub_name) is None):
        raise ValueError(f"{path!r} is not an attribute of the schema {schema.id!r}")
    if sub_name:
        subs = tuple(
            dataclasses.replace(sub, required=True) if sub.name.lower() == sub_name.lower() else sub
            for sub in attribute.sub_attributes
        )
        attribute = dataclasses.replace(attribute, sub_attributes=subs)
    attribute = dataclasses.replace(attribute, required=True)
    attributes = tuple(attribute if a.name == attribute.name else a for a in schema.attributes)
    required = dataclasses.replace(schema, attributes=attributes)
    if schema is core:
        return required, extensions
    return core, {**extensions, schema.id: required}


def _new_extension(urn: str, resource: str) -> Schema:
    # urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User -> "LambdaTest User"
    parts = urn.split(":")
    vendor = parts[-3] if len(parts) >= 3 else urn
    return Schema(id=urn, name=f"{vendor} {resource}", description=f"{vendor} {resource} extension")


registry = Registry()
register = registry.register
unregister = registry.unregister


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SCIM_PROVIDER", "AUTH_USER_MODEL"):
        registry.clear_cache()


setting_changed.connect(_reload)


def all_schemas() -> Iterable[Schema]:
    seen: dict[str, Schema] = {}
    for resource_type in registry.resource_types().values():
        for schema in resource_type.all_schemas():
            seen.setdefault(schema.id, schema)
    return seen.values()
