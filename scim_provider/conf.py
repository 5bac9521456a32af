"""Settings: one dict, ``SCIM_PROVIDER``, read only through ``scim_settings``.

    SCIM_PROVIDER = {
        "BASIC_AUTH_USERNAME": "apikey",
        "MAX_PAGE_SIZE": 500,
    }

Values are read lazily, on first access, and re-read when a test changes the
setting (``setting_changed``); nothing reads settings at import time. Hooks
are import strings resolved on access. Unknown keys and bad values are
reported by the system checks in ``scim_provider.checks`` (``scim_provider.E001``...).

The swappable token model is a top-level setting, like ``AUTH_USER_MODEL``:
``SCIM_PROVIDER_TOKEN_MODEL = "myapp.MyToken"``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

SETTING_NAME = "SCIM_PROVIDER"
TOKEN_MODEL_SETTING = "SCIM_PROVIDER_TOKEN_MODEL"
DEFAULT_TOKEN_MODEL = "scim_provider.ScimToken"

DEFAULTS: dict[str, Any] = {
    # DRF policies of every SCIM view (the host's REST_FRAMEWORK never applies).
    "AUTHENTICATION_CLASSES": ["scim_provider.authentication.ScimTokenAuthentication"],
    "PERMISSION_CLASSES": ["scim_provider.permissions.HasScimToken"],
    "EXCEPTION_HANDLER": "scim_provider.handlers.exception_handler",
    # Authentication.
    "BASIC_AUTH_USERNAME": "apikey",
    "TOKEN_PREFIX": "scim_",
    "TOKEN_LAST_USED_INTERVAL": 60,
    "TOKEN_DEFAULT_EXPIRY_DAYS": None,
    "ALLOW_UNAUTHENTICATED_DISCOVERY": False,
    # Tenants: the host model a token may be bound to, as "app_label.ModelName".
    "TENANT_MODEL": None,
    # What a tenant's token may provision: "verified" (logins and primary emails in the
    # tenant's verified domains only) or "off" (see docs/tenants.md).
    "DOMAIN_POLICY": "verified",
    # How a domain's DNS TXT records are read: an import string of lookup(domain) -> [str].
    "DOMAIN_TXT_LOOKUP": "scim_provider.domains.lookup_txt",
    # Mapping SCIM onto the host (see docs/mapping.md).
    "USER_ADAPTER": "scim_provider.adapters.UserAdapter",
    "USER_FIELDS": {},
    "USER_ATTRIBUTES": [],
    "GROUP_ADAPTER": "scim_provider.adapters.groups.GroupAdapter",
    "GROUP_MODEL": "auth.Group",
    # The foreign key of GROUP_MODEL to TENANT_MODEL that mirrored host groups get.
    "GROUP_TENANT_FIELD": None,
    "GROUP_DELETE_MODE": "soft",
    "GROUP_PATCH_RESPONSE": "auto",
    "GROUP_PATCH_RESPONSE_MAX_MEMBERS": 1000,
    "UNKNOWN_MEMBERS": "ignore",
    "ROLE_MAPPINGS": [],
    "GROUP_FIELDS": {},
    "GROUP_ATTRIBUTES": [],
    "ENTERPRISE_USER": True,
    "USER_REQUIRED_ATTRIBUTES": [],
    "GROUP_REQUIRED_ATTRIBUTES": [],
    # Policies.
    "USERNAME_IS_EMAIL": False,
    "IMMUTABLE_ATTRIBUTES": [],
    "PASSWORD_SYNC": False,
    "DELETE_MODE": "deactivate",
    "MATCH_EXISTING_USERS": [],
    "RELINK_DELETED_USERS": True,
    # Protocol.
    "LENIENCY": "lenient",
    "DEFAULT_PAGE_SIZE": 100,
    "MAX_PAGE_SIZE": 1000,
    "FILTER_MAX_LENGTH": 4096,
    "FILTER_MAX_DEPTH": 50,
    "MAX_PATCH_OPERATIONS": 1000,
    "DOCUMENTATION_URI": None,
    # Operations and hardening (see docs/security.md).
    "REQUEST_LOG": "errors",
    "REQUEST_LOG_BODIES": True,
    "REQUEST_LOG_REDACT": True,
    "REQUEST_LOG_MAX_AGE_DAYS": 90,
    "REQUEST_LOG_UNAUTHENTICATED_RATE": "10/min",
    "RATE_LIMIT": "3000/min",
    "TENANT_RATE_LIMIT": "6000/min",
    "AUTH_FAILURE_RATE_LIMIT": "30/min",
    "RATE_LIMIT_CACHE": "default",
    "COUNT_CACHE_TIMEOUT": 60,
    "NUM_PROXIES": None,
    "MAX_BODY_SIZE": 2 * 1024 * 1024,
    "MAX_MEMBERS_PER_REQUEST": 10000,
    "GROUP_LIST_MAX_MEMBERS": 10000,
    # Cursor pagination (RFC 9865, see docs/pagination.md).
    "CURSOR_PAGINATION": True,
    "DEFAULT_PAGINATION": "index",
    "CURSOR_TIMEOUT": 3600,
    "CURSOR_TOTAL_RESULTS": "first",
    # Bulk (RFC 7644 §3.7, see docs/bulk.md).
    "BULK_ENABLED": True,
    "BULK_MAX_OPERATIONS": 1000,
    "BULK_MAX_PAYLOAD_SIZE": 1048576,
    "BULK_ATOMIC": False,
    # Hot-path queries compiled once per shape (docs/internals/performance.md).
    "COMPILED_QUERIES": True,
    # /Me (RFC 7644 §3.11, see docs/me.md): None, or an import string of token -> user.
    "ME_RESOLVER": None,
    # Self-service settings pages and API for customer admins (see docs/selfservice.md).
    "SELF_SERVICE_PERMISSION": "scim_provider.selfservice.access.can_manage_scim",
    "SELF_SERVICE_TENANT": "scim_provider.selfservice.access.get_tenant",
    "SELF_SERVICE_BASE_URL": None,
    "SELF_SERVICE_PAGE_SIZE": 50,
    "SELF_SERVICE_RATE_LIMIT": "600/min",
    "TENANT_ENABLED_BY_DEFAULT": True,
    "TOKEN_ROTATION_GRACE_SECONDS": 24 * 60 * 60,
}

# Settings that hold an import string (or a list of them), resolved on access.
IMPORT_STRINGS = frozenset(
    {
        "AUTHENTICATION_CLASSES",
        "PERMISSION_CLASSES",
        "EXCEPTION_HANDLER",
        "USER_ADAPTER",
        "GROUP_ADAPTER",
        "ME_RESOLVER",
        "SELF_SERVICE_PERMISSION",
        "SELF_SERVICE_TENANT",
        "DOMAIN_TXT_LOOKUP",
    }
)

TOKEN_PREFIX_MAX_LENGTH = 8


def import_from_string(value: str, setting: str) -> Any:
    try:
        return import_string(value)
    except ImportError as exc:
        raise ImportError(
            f"Could not import {value!r} for the SCIM_PROVIDER setting {setting!r}: {exc}"
        ) from exc


class ScimSettings:
    """Attribute access to ``SCIM_PROVIDER`` with defaults and lazy imports."""

    def __init__(self) -> None:
        self._cached: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        if not hasattr(self, "_user_settings"):
            self._user_settings = dict(getattr(settings, SETTING_NAME, None) or {})
        return self._user_settings

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid SCIM_PROVIDER setting: {name!r}")
        value = self.user_settings.get(name, DEFAULTS[name])
        if name in IMPORT_STRINGS:
            if isinstance(value, str):
                value = import_from_string(value, name)
            elif isinstance(value, (list, tuple)):
                value = [import_from_string(item, name) for item in value]
        self._cached.add(name)
        setattr(self, name, value)
        return value

    @property
    def token_model(self) -> str:
        return getattr(settings, TOKEN_MODEL_SETTING, DEFAULT_TOKEN_MODEL)

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()
        if hasattr(self, "_user_settings"):
            del self._user_settings


scim_settings = ScimSettings()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, TOKEN_MODEL_SETTING):
        scim_settings.reload()


setting_changed.connect(_reload)
