"""Vendor recipes: each vendor's Okta guide as a configuration of the example project.

``SCIM_RECIPE=<name>`` (environment, read by ``example_project/settings.py``) picks one; its
module's ``SCIM_PROVIDER`` dict is merged over the project's base settings. Recipe modules
hold settings only (they are imported while settings load, before the app registry is
ready); host code they name by import string lives in ``adapters.py``. All recipe models are
always installed, so switching recipes needs no migration. See ``docs/recipes/``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Recipe name -> module of this package.
RECIPES = {
    "basic": "basic",
    "email-username": "email_username",
    "roles-from-groups": "roles_from_groups",
    "teams": "teams",
    "role-extension": "role_extension",
    "multi-tenant": "multi_tenant",
}


def recipe_settings(name: str) -> dict[str, Any]:
    """The ``SCIM_PROVIDER`` overrides of recipe ``name``."""
    from django.core.exceptions import ImproperlyConfigured

    if name not in RECIPES:
        known = ", ".join(sorted(RECIPES))
        raise ImproperlyConfigured(f"Unknown SCIM_RECIPE {name!r}; choose one of: {known}.")
    module = import_module(f"{__name__}.{RECIPES[name]}")
    return dict(module.SCIM_PROVIDER)
