"""System checks: a misconfigured ``SCIM_PROVIDER`` fails at startup, not at the first request.

Ids are stable; each names one problem:

* ``scim_provider.E001``: ``SCIM_PROVIDER`` is not a dict, or holds an unknown key.
* ``scim_provider.E002``: a value has the wrong type or is out of range.
* ``scim_provider.E003``: an import string cannot be imported.
* ``scim_provider.E004``: ``TENANT_MODEL`` or ``GROUP_MODEL`` names a model that is not installed.
* ``scim_provider.E005``: ``SCIM_PROVIDER_TOKEN_MODEL`` names a model that is not installed.
* ``scim_provider.E006``: a ``USER_FIELDS`` entry or a registered User attribute names a
  SCIM path that does not exist, or a field the user model (or its one-to-one relation) lacks.
* ``scim_provider.E007``: a ``ROLE_MAPPINGS`` entry names an attribute the schemas lack.
* ``scim_provider.E008``: ``RATE_LIMIT_CACHE`` names a cache that is not in ``CACHES``.
* ``scim_provider.E009``: ``GROUP_MODEL`` has no many-to-many relation with the user model.
* ``scim_provider.E010``: a ``GROUP_FIELDS`` entry or a registered Group attribute names a
  SCIM path that does not exist, or a field ``GROUP_MODEL`` lacks.
* ``scim_provider.E011``: a mapped field cannot hold the SCIM attribute's type (a boolean on
  a ``CharField``, a string on an ``IntegerField``, a complex or multi-valued attribute on a
  scalar field), for users and groups.
* ``scim_provider.E012``: ``GROUP_TENANT_FIELD`` is not a foreign key of ``GROUP_MODEL`` to
  ``TENANT_MODEL``.
* ``scim_provider.W001``: ``DEBUG`` is off but neither ``SECURE_SSL_REDIRECT`` nor
  ``SECURE_PROXY_SSL_HEADER`` is set: SCIM tokens may travel over plain HTTP.
* ``scim_provider.W002``: request bodies are logged without redaction.
* ``scim_provider.W003``: rate limits are on, but their cache keeps nothing (``DummyCache``).
* ``scim_provider.W004``: ``TENANT_MODEL`` is set but ``DOMAIN_POLICY`` is ``"off"``: any
  tenant's identity provider may create, rename and probe logins of the whole product.
* ``scim_provider.W005``: ``GROUP_MODEL`` has a required field that nothing fills (a tenant
  foreign key without ``GROUP_TENANT_FIELD``): creating a host group would fail.
* ``scim_provider.W007``: the user model has a required field that nothing SCIM writes fills.
* ``scim_provider.W006``: the default database is SQLite without ``IMMEDIATE``
  transactions: an identity provider's parallel writes fail with "database is locked".
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.module_loading import import_string

from .conf import DEFAULTS, IMPORT_STRINGS, SETTING_NAME, TOKEN_PREFIX_MAX_LENGTH, scim_settings


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _optional_positive_int(value: Any) -> bool:
    return value is None or _positive_int(value)


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _import_strings(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    )


def _string_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _field_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    )


def _attribute_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, dict) and isinstance(v.get("path"), str) for v in value
    )


def _role_mapping(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("target"), str):
        return False
    roles = entry.get("roles")
    if not (_string_list(roles) and roles):
        return False
    source = entry.get("from", "group_attribute")
    if source == "group_attribute":
        return isinstance(entry.get("group_attribute"), str)
    if source == "group_name":
        names = entry.get("names")
        return _field_map(names) and entry.get("match", "exact") in ("exact", "contains")
    return False


def _rate(value: Any) -> bool:
    from .ratelimit import parse_rate

    try:
        parse_rate(value)
    except ValueError:
        return False
    return True


# key -> (validator, what a valid value is)
VALIDATORS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "AUTHENTICATION_CLASSES": (_import_strings, "a list of import strings"),
    "PERMISSION_CLASSES": (_import_strings, "a list of import strings"),
    "EXCEPTION_HANDLER": (_non_empty_str, "an import string"),
    "BASIC_AUTH_USERNAME": (_non_empty_str, "a non-empty string"),
    "TOKEN_PREFIX": (
        lambda v: isinstance(v, str) and len(v) <= TOKEN_PREFIX_MAX_LENGTH,
        f"a string of at most {TOKEN_PREFIX_MAX_LENGTH} characters",
    ),
    "TOKEN_LAST_USED_INTERVAL": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a number of seconds (0 or more)",
    ),
    "TOKEN_DEFAULT_EXPIRY_DAYS": (_optional_positive_int, "None or a positive number of days"),
    "ALLOW_UNAUTHENTICATED_DISCOVERY": (lambda v: isinstance(v, bool), "True or False"),
    "TENANT_MODEL": (_optional_str, "None or 'app_label.ModelName'"),
    "DOMAIN_POLICY": (lambda v: v in ("off", "verified"), "'off' or 'verified'"),
    "DOMAIN_TXT_LOOKUP": (_non_empty_str, "an import string"),
    "USER_ADAPTER": (_non_empty_str, "an import string"),
    "GROUP_ADAPTER": (_non_empty_str, "an import string"),
    "GROUP_MODEL": (_optional_str, "None or 'app_label.ModelName'"),
    "GROUP_TENANT_FIELD": (_optional_str, "None or the name of a foreign key of GROUP_MODEL"),
    "GROUP_DELETE_MODE": (lambda v: v in ("soft", "delete"), "'soft' or 'delete'"),
    "GROUP_PATCH_RESPONSE": (
        lambda v: v in ("auto", "resource", "no_content"),
        "'auto', 'resource' or 'no_content'",
    ),
    "GROUP_PATCH_RESPONSE_MAX_MEMBERS": (_positive_int, "a positive integer"),
    "UNKNOWN_MEMBERS": (lambda v: v in ("reject", "ignore"), "'reject' or 'ignore'"),
    "ROLE_MAPPINGS": (
        lambda v: isinstance(v, (list, tuple)) and all(_role_mapping(e) for e in v),
        "a list of role mappings (see docs/groups.md)",
    ),
    "USER_FIELDS": (_field_map, "a dict of SCIM path -> field name (or None)"),
    "GROUP_FIELDS": (_field_map, "a dict of SCIM path -> field name (or None)"),
    "USER_ATTRIBUTES": (_attribute_list, "a list of dicts with a 'path' key"),
    "GROUP_ATTRIBUTES": (_attribute_list, "a list of dicts with a 'path' key"),
    "ENTERPRISE_USER": (lambda v: isinstance(v, bool), "True or False"),
    "USER_REQUIRED_ATTRIBUTES": (_string_list, "a list of SCIM attribute paths"),
    "GROUP_REQUIRED_ATTRIBUTES": (_string_list, "a list of SCIM attribute paths"),
    "USERNAME_IS_EMAIL": (lambda v: isinstance(v, bool), "True or False"),
    "IMMUTABLE_ATTRIBUTES": (_string_list, "a list of SCIM attribute paths"),
    "PASSWORD_SYNC": (lambda v: isinstance(v, bool), "True or False"),
    "DELETE_MODE": (lambda v: v in ("deactivate", "delete"), "'deactivate' or 'delete'"),
    "MATCH_EXISTING_USERS": (
        lambda v: _string_list(v) and set(v) <= {"userName", "email"},
        "a list of 'userName' and/or 'email'",
    ),
    "RELINK_DELETED_USERS": (lambda v: isinstance(v, bool), "True or False"),
    "LENIENCY": (lambda v: v in ("strict", "lenient"), "'strict' or 'lenient'"),
    "DEFAULT_PAGE_SIZE": (_positive_int, "a positive integer"),
    "MAX_PAGE_SIZE": (_positive_int, "a positive integer"),
    "FILTER_MAX_LENGTH": (_positive_int, "a positive integer"),
    "FILTER_MAX_DEPTH": (_positive_int, "a positive integer"),
    "MAX_PATCH_OPERATIONS": (_positive_int, "a positive integer"),
    "DOCUMENTATION_URI": (_optional_str, "None or a URL"),
    "REQUEST_LOG": (
        lambda v: v in ("off", "errors", "writes", "all"),
        "'off', 'errors', 'writes' or 'all'",
    ),
    "REQUEST_LOG_BODIES": (lambda v: isinstance(v, bool), "True or False"),
    "REQUEST_LOG_REDACT": (lambda v: isinstance(v, bool), "True or False"),
    "REQUEST_LOG_MAX_AGE_DAYS": (_optional_positive_int, "None or a positive number of days"),
    "REQUEST_LOG_UNAUTHENTICATED_RATE": (_rate, "None or a rate such as '10/min'"),
    "RATE_LIMIT": (_rate, "None or a rate such as '3000/min' or '50/s'"),
    "TENANT_RATE_LIMIT": (_rate, "None or a rate such as '6000/min'"),
    "AUTH_FAILURE_RATE_LIMIT": (_rate, "None or a rate such as '30/min'"),
    "SELF_SERVICE_RATE_LIMIT": (_rate, "None or a rate such as '600/min'"),
    "RATE_LIMIT_CACHE": (_non_empty_str, "the alias of a cache in CACHES"),
    "COUNT_CACHE_TIMEOUT": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "0 (off) or a number of seconds",
    ),
    "NUM_PROXIES": (
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "None or the number of trusted proxies in front of Django (0 or more)",
    ),
    "MAX_BODY_SIZE": (_positive_int, "a positive number of bytes"),
    "MAX_MEMBERS_PER_REQUEST": (_positive_int, "a positive integer"),
    "GROUP_LIST_MAX_MEMBERS": (_positive_int, "a positive integer"),
    "CURSOR_PAGINATION": (lambda v: isinstance(v, bool), "True or False"),
    "DEFAULT_PAGINATION": (lambda v: v in ("index", "cursor"), "'index' or 'cursor'"),
    "CURSOR_TIMEOUT": (_positive_int, "a positive number of seconds"),
    "CURSOR_TOTAL_RESULTS": (
        lambda v: v in ("first", "always", "never"),
        "'first', 'always' or 'never'",
    ),
    "BULK_ENABLED": (lambda v: isinstance(v, bool), "True or False"),
    "COMPILED_QUERIES": (lambda v: isinstance(v, bool), "True or False"),
    "BULK_MAX_OPERATIONS": (_positive_int, "a positive integer"),
    "BULK_MAX_PAYLOAD_SIZE": (_positive_int, "a positive number of bytes"),
    "BULK_ATOMIC": (lambda v: isinstance(v, bool), "True or False"),
    "ME_RESOLVER": (_optional_str, "None or an import string"),
    "SELF_SERVICE_PERMISSION": (_non_empty_str, "an import string"),
    "SELF_SERVICE_TENANT": (_non_empty_str, "an import string"),
    "SELF_SERVICE_BASE_URL": (_optional_str, "None or an absolute URL"),
    "SELF_SERVICE_PAGE_SIZE": (_positive_int, "a positive integer"),
    "TENANT_ENABLED_BY_DEFAULT": (lambda v: isinstance(v, bool), "True or False"),
    "TOKEN_ROTATION_GRACE_SECONDS": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a number of seconds (0 or more)",
    ),
}


@register(Tags.compatibility)
def check_settings(app_configs=None, **kwargs) -> list[Error]:
    user_settings = getattr(settings, SETTING_NAME, None)
    if user_settings is None:
        user_settings = {}
    if not isinstance(user_settings, dict):
        return [Error(f"{SETTING_NAME} must be a dict.", id="scim_provider.E001")]

    found: list[Error] = []
    for key in user_settings:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(key, DEFAULTS, n=1)
            found.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] is not a known setting.",
                    hint=f"Did you mean {close[0]!r}?" if close else "See docs/settings.md.",
                    id="scim_provider.E001",
                )
            )
    for key, (is_valid, expected) in VALIDATORS.items():
        if key in user_settings and not is_valid(user_settings[key]):
            found.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] must be {expected}; got {user_settings[key]!r}.",
                    id="scim_provider.E002",
                )
            )
    if found:
        return found

    merged = {**DEFAULTS, **user_settings}
    if merged["DEFAULT_PAGE_SIZE"] > merged["MAX_PAGE_SIZE"]:
        found.append(
            Error(
                f"{SETTING_NAME}['DEFAULT_PAGE_SIZE'] must not exceed MAX_PAGE_SIZE.",
                id="scim_provider.E002",
            )
        )
    if merged["DEFAULT_PAGINATION"] == "cursor" and not merged["CURSOR_PAGINATION"]:
        found.append(
            Error(
                f"{SETTING_NAME}['DEFAULT_PAGINATION'] is 'cursor' but CURSOR_PAGINATION is off.",
                id="scim_provider.E002",
            )
        )
    for key in sorted(IMPORT_STRINGS):
        value = merged[key]
        for path in [value] if isinstance(value, str) else value or []:
            try:
                import_string(path)
            except ImportError as exc:
                found.append(
                    Error(
                        f"{SETTING_NAME}[{key!r}]: cannot import {path!r} ({exc}).",
                        id="scim_provider.E003",
                    )
                )
    for key in ("TENANT_MODEL", "GROUP_MODEL"):
        if not merged[key]:
            continue
        try:
            apps.get_model(merged[key])
        except (LookupError, ValueError):
            found.append(
                Error(
                    f"{SETTING_NAME}[{key!r}] refers to {merged[key]!r}, "
                    "which is not an installed model.",
                    id="scim_provider.E004",
                )
            )
    try:
        apps.get_model(scim_settings.token_model)
    except (LookupError, ValueError):
        found.append(
            Error(
                f"SCIM_PROVIDER_TOKEN_MODEL refers to {scim_settings.token_model!r}, "
                "which is not an installed model.",
                id="scim_provider.E005",
            )
        )
    return found


@register(Tags.models)
def check_user_mappings(app_configs=None, **kwargs) -> list[Error]:
    """``scim_provider.E006``: explicit user mappings point at real paths and fields.

    The default ``USER_FIELDS`` are skipped when the model lacks them (a custom user model
    without ``first_name``); fields a deployment names itself must exist.
    """
    from django.contrib.auth import get_user_model

    from .mapping import Mapping, ResourcePath
    from .protocol.errors import ScimError
    from .registry import USER, registry

    user_settings = getattr(settings, SETTING_NAME, None) or {}
    if not isinstance(user_settings, dict) or check_settings():
        return []  # reported as E001/E002 first
    model = get_user_model()
    try:
        resource_type = registry.resource_type(USER)
    except (ScimError, ValueError, TypeError) as exc:
        return [
            Error(f"The registered User attributes are invalid: {exc}", id="scim_provider.E006")
        ]
    entries = [
        (f"{SETTING_NAME}['USER_FIELDS'][{path!r}]", path, field)
        for path, field in (user_settings.get("USER_FIELDS") or {}).items()
        if field
    ]
    entries += [
        (f"The registered User attribute {spec.path!r}", spec.path, spec.field)
        for spec in registry.specs(USER)
        if spec.field
    ]
    found: list[Error] = []
    for label, path, field in entries:
        try:
            parsed = ResourcePath.parse(path, resource_type)
        except (ScimError, ValueError):
            found.append(
                Error(
                    f"{label}: {path!r} is not an attribute of the SCIM User schema.",
                    hint="Register custom attributes with scim_provider.registry.register().",
                    id="scim_provider.E006",
                )
            )
            continue
        if Mapping(parsed, field=field).bind(model) is None:
            found.append(
                Error(
                    f"{label} maps onto {model._meta.label}.{field}, which does not exist.",
                    hint="Name a field of the user model, or 'relation__field' through a "
                    "one-to-one relation (e.g. 'profile__location').",
                    id="scim_provider.E006",
                )
            )
    return found or [*_type_errors(USER, model), *_unfilled_user_fields(model)]


def _unfilled_user_fields(model: type[models.Model]) -> list[Warning]:
    """``scim_provider.W007``: a required user field that nothing SCIM writes fills, so
    that every provisioning would fail (a 500 naming the constraint in the log)."""
    from . import signals
    from .adapters.users import UserAdapter
    from .registry import USER, registry

    adapter = scim_settings.USER_ADAPTER
    if (
        adapter.new_user is not UserAdapter.new_user
        or adapter.save_user is not UserAdapter.save_user
    ):
        return []
    if signals.pre_user_save.has_listeners():
        return []
    mapped = {m.model_field.name for m in registry.mappings(USER, model) if m.model_field}
    return [
        Warning(
            f"{model._meta.label}.{field.name} is required, and nothing that SCIM writes "
            "fills it: provisioning a user will fail.",
            hint="Map it in USER_FIELDS, give it a default, or fill it in an override of "
            "UserAdapter.new_user() or a pre_user_save receiver (docs/mapping.md).",
            id="scim_provider.W007",
        )
        for field in _required_fields(model)
        if field.name not in mapped
    ]


# SCIM type (RFC 7643 §2.3) -> the model fields that hold its values without loss.
FITTING_FIELDS: dict[str, tuple[type, ...]] = {
    "string": (models.CharField, models.TextField),
    "reference": (models.CharField, models.TextField),
    "binary": (models.CharField, models.TextField),
    "boolean": (models.BooleanField,),
    "integer": (models.IntegerField,),
    "decimal": (models.DecimalField, models.FloatField),
    "dateTime": (models.DateTimeField,),
}


def _type_errors(resource: str, model: type[models.Model]) -> list[Error]:
    """``scim_provider.E011``: each field mapping of ``resource`` onto ``model`` (settings,
    defaults and registered attributes) names a field that can hold the attribute's values."""
    from .protocol.paths import AttributePath
    from .registry import registry

    resource_type = registry.resource_type(resource)
    found: list[Error] = []
    for mapping in registry.mappings(resource, model):
        field = mapping.model_field
        if field is None or isinstance(field, models.JSONField):
            continue  # accessors; JSON holds anything
        path = mapping.path
        _schema, attribute, sub = resource_type.resolve(
            AttributePath(path.attribute, path.sub_attribute, path.urn)
        )
        leaf = sub or attribute
        many = attribute.multi_valued and not path.primary
        fits = not many and isinstance(field, FITTING_FIELDS.get(leaf.type, ()))
        if field.is_relation or field.primary_key:
            fits = False
        if not fits:
            kind = "multi-valued " if many else ""
            found.append(
                Error(
                    f"The {resource} attribute {str(path)!r} ({kind}{leaf.type}) is mapped onto "
                    f"{field.model._meta.label}.{field.name} ({type(field).__name__}), which "
                    "cannot hold its values.",
                    hint=f"Map it onto a field of a fitting type ({_fitting_names(leaf.type)}), "
                    "onto a JSONField, or leave it unmapped (kept as JSON on the SCIM link).",
                    id="scim_provider.E011",
                )
            )
    return found


def _fitting_names(scim_type: str) -> str:
    names = [cls.__name__ for cls in FITTING_FIELDS.get(scim_type, ())]
    return " or ".join(names) if names else "none: map a sub-attribute instead"


@register(Tags.models)
def check_group_model(app_configs=None, **kwargs) -> list[CheckMessage]:
    """``scim_provider.E009``, ``E010``, ``E011``, ``E012``, ``W004``: the host group model
    can hold what is mirrored onto it."""
    from .adapters.groups import GroupAdapter, HostMembership
    from .mapping import Mapping, ResourcePath
    from .protocol.errors import ScimError
    from .registry import GROUP, default_group_fields, registry

    user_settings = getattr(settings, SETTING_NAME, None) or {}
    if not isinstance(user_settings, dict) or check_settings():
        return []  # reported as E001-E005 first
    label = scim_settings.GROUP_MODEL
    if not label:
        return []
    model = apps.get_model(label)
    found: list[CheckMessage] = []
    if HostMembership.find(model) is None:
        found.append(
            Error(
                f"{SETTING_NAME}['GROUP_MODEL'] is {label!r}, which has no many-to-many "
                "relation with the user model: group members cannot be mirrored onto it.",
                hint="Name a group model with a ManyToManyField to AUTH_USER_MODEL (on either "
                "side), or set GROUP_MODEL = None to keep groups in SCIM's own tables.",
                id="scim_provider.E009",
            )
        )
    try:
        resource_type = registry.resource_type(GROUP)
    except (ScimError, ValueError, TypeError) as exc:
        return [
            *found,
            Error(f"The registered Group attributes are invalid: {exc}", id="scim_provider.E010"),
        ]
    fields = {**default_group_fields(), **(user_settings.get("GROUP_FIELDS") or {})}
    entries = [
        (f"{SETTING_NAME}['GROUP_FIELDS'][{path!r}]", path, field)
        for path, field in fields.items()
        if field
    ]
    entries += [
        (f"The registered Group attribute {spec.path!r}", spec.path, spec.field)
        for spec in registry.specs(GROUP)
        if spec.field
    ]
    bad_mapping = False
    for where, path, field in entries:
        try:
            parsed = ResourcePath.parse(path, resource_type)
        except (ScimError, ValueError):
            bad_mapping = True
            found.append(
                Error(
                    f"{where}: {path!r} is not an attribute of the SCIM Group schema.",
                    hint="Register custom attributes with "
                    "scim_provider.registry.register(..., resource='Group').",
                    id="scim_provider.E010",
                )
            )
            continue
        if Mapping(parsed, field=field).bind(model) is None:
            bad_mapping = True
            default = path == "displayName" and "GROUP_FIELDS" not in user_settings
            found.append(
                Error(
                    f"{where} maps onto {model._meta.label}.{field}, which does not exist.",
                    hint=(
                        "GROUP_FIELDS maps displayName onto 'name' by default: name the "
                        "field of your group model that holds its name, e.g. "
                        "{'displayName': 'title'}."
                        if default
                        else "Name a field of the group model, or 'relation__field' through "
                        "a one-to-one relation."
                    ),
                    id="scim_provider.E010",
                )
            )
    if not bad_mapping:
        found += _type_errors(GROUP, model)
    tenant_field = _tenant_field_error(model)
    if tenant_field is not None:
        found.append(tenant_field)
    adapter = scim_settings.GROUP_ADAPTER
    filled_by_hook = any(
        getattr(adapter, name, None) is not getattr(GroupAdapter, name)
        for name in ("new_host_group", "save_host_group", "write_host_group")
    )
    if not filled_by_hook and not bad_mapping:
        mapped = {m.model_field.name for m in registry.mappings(GROUP, model) if m.model_field}
        if scim_settings.GROUP_TENANT_FIELD:
            mapped.add(scim_settings.GROUP_TENANT_FIELD)
        for field in _required_fields(model):
            if field.name in mapped:
                continue
            is_tenant = (
                field.many_to_one
                and scim_settings.TENANT_MODEL
                and field.related_model._meta.label_lower == scim_settings.TENANT_MODEL.lower()
            )
            found.append(
                Warning(
                    f"{model._meta.label}.{field.name} is required, and nothing that SCIM "
                    "mirrors fills it: creating a host group for a pushed group will fail.",
                    hint=(
                        f"Set GROUP_TENANT_FIELD = {field.name!r}: each host group then "
                        "belongs to the tenant of the token that pushed it (docs/groups.md)."
                        if is_tenant
                        else "Map it in GROUP_FIELDS, give it a default, or fill it in an "
                        "override of GroupAdapter.new_host_group() (docs/groups.md)."
                    ),
                    id="scim_provider.W005",
                )
            )
    return found


def _required_fields(model: type[models.Model]) -> list[models.Field]:
    """Concrete fields of ``model`` that an unsaved instance cannot leave empty."""
    required = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default():
            continue
        if field.empty_strings_allowed and not field.is_relation:
            continue  # saved as "" (a CharField)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        if getattr(field, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED:
            continue
        required.append(field)
    return required


def _tenant_field_error(model: type[models.Model]) -> Error | None:
    """``scim_provider.E012``: ``GROUP_TENANT_FIELD`` is a foreign key to ``TENANT_MODEL``."""
    name = scim_settings.GROUP_TENANT_FIELD
    if not name:
        return None
    tenant_label = scim_settings.TENANT_MODEL
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if not tenant_label:
        problem = "but TENANT_MODEL is not set"
    elif field is None:
        problem = f"but {model._meta.label} has no field {name!r}"
    elif not (field.many_to_one or field.one_to_one) or not field.concrete:
        problem = f"but {model._meta.label}.{name} is not a foreign key"
    elif field.related_model is not apps.get_model(tenant_label):
        problem = (
            f"but {model._meta.label}.{name} points to "
            f"{field.related_model._meta.label}, not to TENANT_MODEL ({tenant_label})"
        )
    else:
        return None
    return Error(
        f"{SETTING_NAME}['GROUP_TENANT_FIELD'] is {name!r}, {problem}.",
        hint="Name the ForeignKey of GROUP_MODEL to TENANT_MODEL that says which tenant a "
        "group belongs to (e.g. 'organization'), or set it to None.",
        id="scim_provider.E012",
    )


@register(Tags.models)
def check_role_mappings(app_configs=None, **kwargs) -> list[Error]:
    """``scim_provider.E007``: each role mapping names a User attribute to write and, when
    roles come from a group attribute, a Group attribute to read."""
    from .mapping import ResourcePath
    from .protocol.errors import ScimError
    from .registry import GROUP, USER, registry

    user_settings = getattr(settings, SETTING_NAME, None) or {}
    if not isinstance(user_settings, dict) or check_settings():
        return []
    found: list[Error] = []
    for index, entry in enumerate(user_settings.get("ROLE_MAPPINGS") or []):
        paths = [(USER, entry["target"])]
        if entry.get("from", "group_attribute") == "group_attribute":
            paths.append((GROUP, entry["group_attribute"]))
        for resource, path in paths:
            try:
                ResourcePath.parse(path, registry.resource_type(resource))
            except (ScimError, ValueError):
                found.append(
                    Error(
                        f"{SETTING_NAME}['ROLE_MAPPINGS'][{index}]: {path!r} is not an "
                        f"attribute of the SCIM {resource} schema.",
                        hint="Register it with scim_provider.registry.register() first.",
                        id="scim_provider.E007",
                    )
                )
    return found


@register(Tags.caches)
def check_rate_limit_cache(app_configs=None, **kwargs) -> list[Error]:
    """``scim_provider.E008``: the rate limits' cache exists."""
    user_settings = getattr(settings, SETTING_NAME, None) or {}
    if not isinstance(user_settings, dict) or check_settings():
        return []  # reported as E001/E002 first
    alias = scim_settings.RATE_LIMIT_CACHE
    if alias not in settings.CACHES:
        return [
            Error(
                f"{SETTING_NAME}['RATE_LIMIT_CACHE'] is {alias!r}, which is not in CACHES.",
                id="scim_provider.E008",
            )
        ]
    return []


@register(Tags.security)
def check_security(app_configs=None, **kwargs) -> list[Warning]:
    """``scim_provider.W001``-``W004``: settings that weaken a production deployment."""
    user_settings = getattr(settings, SETTING_NAME, None) or {}
    if not isinstance(user_settings, dict) or check_settings():
        return []  # reported as E001/E002 first
    found: list[Warning] = []
    if not settings.DEBUG and not (
        getattr(settings, "SECURE_SSL_REDIRECT", False)
        or getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    ):
        found.append(
            Warning(
                "DEBUG is off but neither SECURE_SSL_REDIRECT nor SECURE_PROXY_SSL_HEADER is "
                "set: SCIM tokens and user data may be sent over plain HTTP.",
                hint="Serve SCIM over HTTPS only: set SECURE_SSL_REDIRECT = True, or "
                "SECURE_PROXY_SSL_HEADER when a proxy terminates TLS (docs/security.md).",
                id="scim_provider.W001",
            )
        )
    if (
        scim_settings.REQUEST_LOG != "off"
        and scim_settings.REQUEST_LOG_BODIES
        and not scim_settings.REQUEST_LOG_REDACT
    ):
        found.append(
            Warning(
                "SCIM request bodies are logged without redaction: passwords and sensitive "
                "attributes are stored in the request log.",
                hint="Set REQUEST_LOG_REDACT = True, or REQUEST_LOG_BODIES = False.",
                id="scim_provider.W002",
            )
        )
    rates_on = (
        scim_settings.RATE_LIMIT
        or scim_settings.TENANT_RATE_LIMIT
        or scim_settings.AUTH_FAILURE_RATE_LIMIT
        or scim_settings.SELF_SERVICE_RATE_LIMIT
    )
    cache = settings.CACHES.get(scim_settings.RATE_LIMIT_CACHE) or {}
    if rates_on and str(cache.get("BACKEND", "")).endswith("DummyCache"):
        found.append(
            Warning(
                "SCIM rate limits are on but their cache is a DummyCache: nothing is counted.",
                hint="Point RATE_LIMIT_CACHE at a shared cache (Redis, Memcached), or set "
                "RATE_LIMIT, TENANT_RATE_LIMIT, AUTH_FAILURE_RATE_LIMIT and "
                "SELF_SERVICE_RATE_LIMIT to None.",
                id="scim_provider.W003",
            )
        )
    if scim_settings.TENANT_MODEL and scim_settings.DOMAIN_POLICY == "off":
        found.append(
            Warning(
                "TENANT_MODEL is set but DOMAIN_POLICY is 'off': every tenant's identity "
                "provider may create, rename and probe logins anywhere in the product, and "
                "pre-register other customers' people.",
                hint="Set SCIM_PROVIDER['DOMAIN_POLICY'] = 'verified' and have each tenant "
                "verify its email domains (docs/tenants.md), or silence scim_provider.W004 "
                "when your user model scopes logins per tenant.",
                id="scim_provider.W004",
            )
        )
    return found


@register(Tags.database)
def check_sqlite_transactions(app_configs=None, **kwargs) -> list[Warning]:
    """SQLite's default (deferred) transactions read, then take the write lock: a
    transaction that must wait for it cannot, and fails at once with "database is locked"
    whatever the timeout. ``IMMEDIATE`` takes the lock at ``BEGIN``, where the wait works."""
    from django.db import DEFAULT_DB_ALIAS

    database = settings.DATABASES.get(DEFAULT_DB_ALIAS, {})
    if not str(database.get("ENGINE", "")).endswith("sqlite3"):
        return []
    mode = str((database.get("OPTIONS") or {}).get("transaction_mode") or "").upper()
    if mode == "IMMEDIATE":
        return []
    return [
        Warning(
            "SCIM writes run on SQLite without IMMEDIATE transactions: an identity "
            "provider's parallel requests fail with 'database is locked' (500).",
            hint='Set DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", '
            '"timeout": 20} (see the deployment and settings docs).',
            id="scim_provider.W006",
        )
    ]
