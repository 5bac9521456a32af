"""SCIM schemas and resource types (RFC 7643 §2, §3.1, §4, §6, §7).

``Attribute``, ``Schema`` and ``ResourceType`` are frozen dataclasses; the RFC 7643 core
``User`` (§4.1), ``Group`` (§4.2) and enterprise ``User`` extension (§4.3) are module
constants. A host adds attributes with ``extend_schema`` (Okta's ``profile.location``) or
declares whole extension schemas at run time (``urn:...:extension:acme:2.0:User``).

Representation choices:

* The common attributes ``id`` and ``meta`` (RFC 7643 §3.1) are not in any schema's
  ``attributes``, so ``/Schemas`` does not list them; ``ResourceType.resolve`` still knows them
  (and ``meta.created``, ``meta.lastModified``, ...) for filtering, sorting and attribute
  selection. ``externalId`` is listed in the core User and Group schemas: it is an ordinary
  read-write core attribute of every resource type (see docs/internals/protocol.md), and
  listing it tells IdPs it is supported.
* Name lookups (attributes, sub-attributes, schema URNs) are case-insensitive (RFC 7643 §2.1).
* canonicalValues of the RFC 7643 schemas are suggestions (``emails.type`` may be anything);
  canonicalValues declared by a host are enforced: see ``canonical_values_enforced``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from scim_provider.protocol.errors import ERROR_SCHEMA, InvalidPath

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scim_provider.protocol.paths import AttributePath

__all__ = [
    "COMMON_ATTRIBUTES",
    "ENTERPRISE_USER_SCHEMA",
    "ENTERPRISE_USER_URN",
    "ERROR_URN",
    "EXTERNAL_ID_ATTRIBUTE",
    "GROUP_SCHEMA",
    "GROUP_URN",
    "ID_ATTRIBUTE",
    "LIST_RESPONSE_URN",
    "META_ATTRIBUTE",
    "PATCH_OP_URN",
    "RESOURCE_TYPE_URN",
    "SCHEMA_URN",
    "SERVICE_PROVIDER_CONFIG_URN",
    "USER_SCHEMA",
    "USER_URN",
    "Attribute",
    "ResourceType",
    "Schema",
    "canonical_values_enforced",
    "extend_schema",
    "group_resource_type",
    "user_resource_type",
]

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_URN = ERROR_SCHEMA

TYPES = frozenset(
    {"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"}
)
MUTABILITIES = frozenset({"readOnly", "readWrite", "immutable", "writeOnly"})
RETURNED = frozenset({"always", "never", "default", "request"})
UNIQUENESS = frozenset({"none", "server", "global"})


def _find(items: Iterable[Any], name: str, key: str = "name") -> Any:
    """The first item whose ``key`` equals ``name`` case-insensitively, else ``None``."""
    folded = name.casefold()
    return next((item for item in items if getattr(item, key).casefold() == folded), None)


def _index(items: Iterable[Any], key: str = "name") -> dict[str, Any]:
    """``{casefolded key: item}``, the first item winning (as ``_find`` does)."""
    index: dict[str, Any] = {}
    for item in items:
        index.setdefault(getattr(item, key).casefold(), item)
    return index


@dataclass(frozen=True)
class Attribute:
    """An attribute definition (RFC 7643 §2.2, §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    reference_types: tuple[str, ...] = ()
    description: str = ""
    #: Not in RFC 7643: the host's marker for a value never logged nor quoted in an error
    #: (``registry.register(..., sensitive=True)``). Not served in ``/Schemas``.
    sensitive: bool = False

    def __post_init__(self) -> None:
        for field, value, allowed in (
            ("type", self.type, TYPES),
            ("mutability", self.mutability, MUTABILITIES),
            ("returned", self.returned, RETURNED),
            ("uniqueness", self.uniqueness, UNIQUENESS),
        ):
            if value not in allowed:
                raise ValueError(
                    f"Attribute {self.name!r}: {field} {value!r} is not one of {sorted(allowed)}."
                )
        if self.sub_attributes and self.type != "complex":
            raise ValueError(f"Attribute {self.name!r}: sub-attributes need type complex.")

    @property
    def secret(self) -> bool:
        """Whether values of this attribute must never be echoed: ``writeOnly``,
        ``returned: never`` (``password``) or ``sensitive``."""
        return self.mutability == "writeOnly" or self.returned == "never" or self.sensitive

    def sub_attribute(self, name: str) -> Attribute | None:
        """The sub-attribute called ``name`` (case-insensitive), or ``None``."""
        return self._subs_by_name.get(name.casefold())

    @cached_property
    def _subs_by_name(self) -> dict[str, Attribute]:
        # Looked up for every value serialized: a dict, built once per definition.
        return _index(self.sub_attributes)

    def to_dict(self) -> dict[str, Any]:
        """The RFC 7643 §7 representation."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            data["canonicalValues"] = list(self.canonical_values)
        if self.type == "reference":
            data["referenceTypes"] = list(self.reference_types)
        if self.type == "complex":
            data["subAttributes"] = [sub.to_dict() for sub in self.sub_attributes]
        return data


@dataclass(frozen=True)
class Schema:
    """A schema: a URN and its attributes (RFC 7643 §2, §7)."""

    id: str
    name: str
    description: str = ""
    attributes: tuple[Attribute, ...] = ()

    def attribute(self, name: str) -> Attribute | None:
        """The top-level attribute called ``name`` (case-insensitive), or ``None``."""
        return self._by_name.get(name.casefold())

    @cached_property
    def _by_name(self) -> dict[str, Attribute]:
        return _index(self.attributes)

    def to_dict(self, location: str | None = None) -> dict[str, Any]:
        """The ``/Schemas/{id}`` document (RFC 7643 §7, §8.7)."""
        meta: dict[str, Any] = {"resourceType": "Schema"}
        if location is not None:
            meta["location"] = location
        return {
            "schemas": [SCHEMA_URN],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [attribute.to_dict() for attribute in self.attributes],
            "meta": meta,
        }


@dataclass(frozen=True)
class ResourceType:
    """A resource type: endpoint, core schema and extensions (RFC 7643 §6)."""

    id: str
    name: str
    endpoint: str
    schema: Schema
    extensions: tuple[tuple[Schema, bool], ...] = ()
    description: str = ""

    def schema_for(self, urn: str) -> Schema | None:
        """The core or extension schema whose URN is ``urn`` (case-insensitive), or ``None``."""
        return self._schemas_by_urn.get(urn.casefold())

    @cached_property
    def _schemas_by_urn(self) -> dict[str, Schema]:
        return _index(self.all_schemas(), key="id")

    @cached_property
    def document_order(self) -> tuple[Attribute, ...]:
        """The core attributes in the order of a serialized document: ``externalId`` right
        after ``id``, then the schema's order."""
        return tuple(sorted(self.schema.attributes, key=lambda a: a.name != "externalId"))

    @cached_property
    def unreturned_keys(self) -> frozenset[str]:
        """Top-level document keys (core attribute names, extension URNs) under which some
        attribute is ``returned: never`` or ``request``: the only places a serializer must
        filter when no ``attributes``/``excludedAttributes`` were asked for."""

        def hides(attribute: Attribute) -> bool:
            return attribute.returned in ("never", "request") or any(
                hides(sub) for sub in attribute.sub_attributes
            )

        keys = {a.name for a in self.schema.attributes if hides(a)}
        keys |= {s.id for s, _required in self.extensions if any(map(hides, s.attributes))}
        return frozenset(keys)

    def all_schemas(self) -> tuple[Schema, ...]:
        """The core schema followed by the extension schemas."""
        return (self.schema, *(schema for schema, _required in self.extensions))

    def resolve(self, path: AttributePath) -> tuple[Schema, Attribute, Attribute | None]:
        """The (schema, attribute, sub-attribute) that ``path`` names, with canonical names.

        Without a URN the name is looked up in the core schema, then among the common
        attributes (``id``, ``meta``), then in the extensions when exactly one defines it
        (Entra filters and PATCHes the enterprise ``manager`` unqualified). A URN-qualified
        path must name a schema of this resource type. Raises ``InvalidPath`` naming the
        unknown part; filter callers turn it into ``InvalidFilter``.
        """
        text = _path_text(path)
        if path.urn is not None:
            schema = self.schema_for(path.urn)
            if schema is None:
                raise InvalidPath(f"Unknown schema {path.urn!r} in {text!r} for {self.name}.")
            attribute = schema.attribute(path.attribute)
            if attribute is None and schema is self.schema:
                attribute = _find(COMMON_ATTRIBUTES, path.attribute)
        else:
            schema, attribute = self.schema, self.schema.attribute(path.attribute)
            if attribute is None:
                attribute = _find(COMMON_ATTRIBUTES, path.attribute)
            if attribute is None:
                schema, attribute = self._unique_extension_attribute(path.attribute)
        if attribute is None:
            raise InvalidPath(f"Unknown attribute {path.attribute!r} in {text!r} for {self.name}.")
        if path.sub_attribute is None:
            return schema, attribute, None
        sub = attribute.sub_attribute(path.sub_attribute)
        if sub is None:
            raise InvalidPath(
                f"Unknown sub-attribute {path.sub_attribute!r} of {attribute.name!r} in {text!r}."
            )
        return schema, attribute, sub

    def _unique_extension_attribute(self, name: str) -> tuple[Schema, Attribute | None]:
        found = [
            (schema, attribute)
            for schema, _required in self.extensions
            if (attribute := schema.attribute(name)) is not None
        ]
        return found[0] if len(found) == 1 else (self.schema, None)

    def to_dict(self, location: str | None = None) -> dict[str, Any]:
        """The ``/ResourceTypes/{id}`` document (RFC 7643 §6, §8.6)."""
        data: dict[str, Any] = {
            "schemas": [RESOURCE_TYPE_URN],
            "id": self.id,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
        }
        if self.extensions:
            data["schemaExtensions"] = [
                {"schema": schema.id, "required": required} for schema, required in self.extensions
            ]
        meta: dict[str, Any] = {"resourceType": "ResourceType"}
        if location is not None:
            meta["location"] = location
        data["meta"] = meta
        return data


def _path_text(path: AttributePath) -> str:
    text = f"{path.urn}:{path.attribute}" if path.urn else path.attribute
    return f"{text}.{path.sub_attribute}" if path.sub_attribute else text


def extend_schema(schema: Schema, *attributes: Attribute) -> Schema:
    """A copy of ``schema`` with ``attributes`` added.

    An attribute whose name (case-insensitive) is already defined replaces it, except that
    two complex attributes merge their sub-attributes, so ``profile.location`` and later
    ``profile.costCenter`` both end up under ``profile``.
    """
    merged = list(schema.attributes)
    for attribute in attributes:
        index = next(
            (i for i, old in enumerate(merged) if old.name.casefold() == attribute.name.casefold()),
            None,
        )
        if index is None:
            merged.append(attribute)
            continue
        old = merged[index]
        if old.type == "complex" and attribute.type == "complex":
            subs = [s for s in old.sub_attributes if attribute.sub_attribute(s.name) is None]
            attribute = replace(attribute, sub_attributes=(*subs, *attribute.sub_attributes))
        merged[index] = attribute
    return replace(schema, attributes=tuple(merged))


def canonical_values_enforced(attribute: Attribute) -> bool:
    """Whether a value outside ``attribute.canonical_values`` is an error.

    RFC 7643 calls canonical values suggestions, and the IdPs send other ``type`` values
    for emails, phone numbers, etc.; so the canonical values of the RFC's own schemas are
    advisory. Canonical values a host declares (extension or ``extend_schema`` attributes,
    e.g. an ``OrganizationRole`` of Admin/User/Guest) are an enumeration and enforced.
    """
    return bool(attribute.canonical_values) and attribute not in _RFC_ATTRIBUTES


# Builders for the RFC 7643 definitions below.


def _string(name: str, description: str = "", **options: Any) -> Attribute:
    return Attribute(name, "string", description=description, **options)


def _multi(name: str, description: str, *subs: Attribute, **options: Any) -> Attribute:
    return Attribute(
        name, "complex", multi_valued=True, sub_attributes=subs, description=description, **options
    )


def _primary(of: str) -> Attribute:
    return Attribute(
        "primary",
        "boolean",
        description=f"Whether this is the primary {of}; 'true' appears at most once.",
    )


def _plural(
    name: str, description: str, value: Attribute, types: tuple[str, ...] = ()
) -> Attribute:
    """A multi-valued attribute with the RFC 7643 §2.4 value/display/type/primary pattern."""
    return _multi(
        name,
        description,
        value,
        _string("display", "A human-readable name, primarily used for display purposes."),
        _string("type", f"A label indicating the {name} function.", canonical_values=types),
        _primary(name),
    )


EXTERNAL_ID_ATTRIBUTE = _string(
    "externalId",
    "An identifier for the resource as defined by the provisioning client.",
    case_exact=True,
)

ID_ATTRIBUTE = _string(
    "id",
    "A unique identifier for a SCIM resource as defined by the service provider.",
    case_exact=True,
    mutability="readOnly",
    returned="always",
    uniqueness="server",
)

META_ATTRIBUTE = Attribute(
    "meta",
    "complex",
    mutability="readOnly",
    description="A complex attribute containing resource metadata.",
    sub_attributes=(
        _string(
            "resourceType", "The name of the resource type.", case_exact=True, mutability="readOnly"
        ),
        Attribute(
            "created",
            "dateTime",
            mutability="readOnly",
            description="The DateTime that the resource was added to the service provider.",
        ),
        Attribute(
            "lastModified",
            "dateTime",
            mutability="readOnly",
            description="The most recent DateTime that the details of this resource were "
            "updated at the service provider.",
        ),
        Attribute(
            "location",
            "reference",
            case_exact=True,
            mutability="readOnly",
            reference_types=("uri",),
            description="The URI of the resource being returned.",
        ),
        _string(
            "version",
            "The version of the resource being returned.",
            case_exact=True,
            mutability="readOnly",
        ),
    ),
)

COMMON_ATTRIBUTES: tuple[Attribute, ...] = (ID_ATTRIBUTE, EXTERNAL_ID_ATTRIBUTE, META_ATTRIBUTE)

USER_SCHEMA = Schema(
    id=USER_URN,
    name="User",
    description="User Account",
    attributes=(
        _string(
            "userName",
            "Unique identifier for the User, typically used by the user to directly "
            "authenticate to the service provider.",
            required=True,
            uniqueness="server",
        ),
        Attribute(
            "name",
            "complex",
            description="The components of the user's real name.",
            sub_attributes=(
                _string("formatted", "The full name, formatted for display."),
                _string("familyName", "The family name of the User, or last name."),
                _string("givenName", "The given name of the User, or first name."),
                _string("middleName", "The middle name(s) of the User."),
                _string("honorificPrefix", "The honorific prefix(es) of the User."),
                _string("honorificSuffix", "The honorific suffix(es) of the User."),
            ),
        ),
        _string("displayName", "The name of the User, suitable for display to end-users."),
        _string("nickName", "The casual way to address the user in real life."),
        Attribute(
            "profileUrl",
            "reference",
            reference_types=("external",),
            description="A fully qualified URL pointing to a page representing the "
            "User's online profile.",
        ),
        _string("title", 'The user\'s title, such as "Vice President".'),
        _string(
            "userType", "Used to identify the relationship between the organization and the user."
        ),
        _string(
            "preferredLanguage",
            "Indicates the User's preferred written or spoken language (RFC 7231 Accept-Language).",
        ),
        _string("locale", "Used to indicate the User's default location (e.g. 'en-US')."),
        _string("timezone", "The User's time zone in the IANA Time Zone database format."),
        Attribute(
            "active",
            "boolean",
            description="A Boolean value indicating the User's administrative status.",
        ),
        _string(
            "password", "The User's cleartext password.", mutability="writeOnly", returned="never"
        ),
        _plural(
            "emails",
            "Email addresses for the user.",
            _string("value", "Email address for the user."),
            ("work", "home", "other"),
        ),
        _plural(
            "phoneNumbers",
            "Phone numbers for the User.",
            _string("value", "Phone number of the User."),
            ("work", "home", "mobile", "fax", "pager", "other"),
        ),
        _plural(
            "ims",
            "Instant messaging addresses for the User.",
            _string("value", "Instant messaging address for the User."),
            ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
        ),
        _plural(
            "photos",
            "URLs of photos of the User.",
            Attribute(
                "value",
                "reference",
                reference_types=("external",),
                description="URL of a photo of the User.",
            ),
            ("photo", "thumbnail"),
        ),
        _multi(
            "addresses",
            "A physical mailing address for this User.",
            _string("formatted", "The full mailing address, formatted for display."),
            _string("streetAddress", "The full street address component."),
            _string("locality", "The city or locality component."),
            _string("region", "The state or region component."),
            _string("postalCode", "The zip code or postal code component."),
            _string("country", "The country name component (ISO 3166-1 alpha-2)."),
            _string(
                "type",
                "A label indicating the address function.",
                canonical_values=("work", "home", "other"),
            ),
            _primary("address"),
        ),
        _multi(
            "groups",
            "A list of groups to which the user belongs.",
            _string("value", "The identifier of the User's group.", mutability="readOnly"),
            Attribute(
                "$ref",
                "reference",
                reference_types=("User", "Group"),
                mutability="readOnly",
                description="The URI of the corresponding 'Group' resource.",
            ),
            _string("display", "A human-readable name.", mutability="readOnly"),
            _string(
                "type",
                "A label indicating the attribute's function.",
                canonical_values=("direct", "indirect"),
                mutability="readOnly",
            ),
            mutability="readOnly",
        ),
        _plural(
            "entitlements",
            "A list of entitlements for the User.",
            _string("value", "The value of an entitlement."),
        ),
        _plural("roles", "A list of roles for the User.", _string("value", "The value of a role.")),
        _plural(
            "x509Certificates",
            "A list of certificates issued to the User.",
            Attribute("value", "binary", description="The value of an X.509 certificate."),
        ),
        EXTERNAL_ID_ATTRIBUTE,
    ),
)

GROUP_SCHEMA = Schema(
    id=GROUP_URN,
    name="Group",
    description="Group",
    attributes=(
        _string("displayName", "A human-readable name for the Group.", required=True),
        _multi(
            "members",
            "A list of members of the Group.",
            _string("value", "Identifier of the member of this Group.", mutability="immutable"),
            Attribute(
                "$ref",
                "reference",
                reference_types=("User", "Group"),
                mutability="immutable",
                description="The URI corresponding to a SCIM resource that is a member "
                "of this Group.",
            ),
            _string("display", "A human-readable name of the member.", mutability="readOnly"),
            _string(
                "type",
                "A label indicating the type of resource, e.g. 'User' or 'Group'.",
                canonical_values=("User", "Group"),
                mutability="immutable",
            ),
        ),
        EXTERNAL_ID_ATTRIBUTE,
    ),
)

ENTERPRISE_USER_SCHEMA = Schema(
    id=ENTERPRISE_USER_URN,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        _string("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
        _string("costCenter", "Identifies the name of a cost center."),
        _string("organization", "Identifies the name of an organization."),
        _string("division", "Identifies the name of a division."),
        _string("department", "Identifies the name of a department."),
        Attribute(
            "manager",
            "complex",
            description="The User's manager.",
            sub_attributes=(
                _string("value", "The id of the SCIM resource representing the User's manager."),
                Attribute(
                    "$ref",
                    "reference",
                    reference_types=("User",),
                    description="The URI of the SCIM resource representing the User's manager.",
                ),
                _string(
                    "displayName", "The displayName of the User's manager.", mutability="readOnly"
                ),
            ),
        ),
    ),
)


def _walk(attributes: Iterable[Attribute]) -> Iterable[Attribute]:
    for attribute in attributes:
        yield attribute
        yield from _walk(attribute.sub_attributes)


_RFC_ATTRIBUTES = frozenset(
    _walk(
        (
            *COMMON_ATTRIBUTES,
            *USER_SCHEMA.attributes,
            *GROUP_SCHEMA.attributes,
            *ENTERPRISE_USER_SCHEMA.attributes,
        )
    )
)


def _extensions(
    defaults: tuple[tuple[Schema, bool], ...], extra: Iterable[Schema | tuple[Schema, bool]]
) -> tuple[tuple[Schema, bool], ...]:
    """``defaults`` then ``extra`` (a bare ``Schema`` is optional); a repeated URN replaces."""
    result = list(defaults)
    for item in extra:
        schema, required = item if isinstance(item, tuple) else (item, False)
        result = [(s, r) for s, r in result if s.id.casefold() != schema.id.casefold()]
        result.append((schema, required))
    return tuple(result)


def user_resource_type(
    extensions: Iterable[Schema | tuple[Schema, bool]] = (),
    *,
    schema: Schema = USER_SCHEMA,
    enterprise: bool = True,
) -> ResourceType:
    """The ``User`` resource type (RFC 7643 §4.1, §8.6).

    The enterprise extension is included (not required) unless ``enterprise=False``;
    ``extensions`` adds schemas, each a ``Schema`` (optional) or ``(Schema, required)``.
    ``schema`` replaces the core schema, e.g. with ``extend_schema(USER_SCHEMA, profile)``.
    """
    defaults = ((ENTERPRISE_USER_SCHEMA, False),) if enterprise else ()
    return ResourceType(
        id="User",
        name="User",
        endpoint="/Users",
        schema=schema,
        extensions=_extensions(defaults, extensions),
        description="User Account",
    )


def group_resource_type(
    extensions: Iterable[Schema | tuple[Schema, bool]] = (),
    *,
    schema: Schema = GROUP_SCHEMA,
) -> ResourceType:
    """The ``Group`` resource type (RFC 7643 §4.2, §8.6)."""
    return ResourceType(
        id="Group",
        name="Group",
        endpoint="/Groups",
        schema=schema,
        extensions=_extensions((), extensions),
        description="Group",
    )
