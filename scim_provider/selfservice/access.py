"""Who may manage SCIM for which tenant: the host decides, by two settings.

``SELF_SERVICE_TENANT`` names ``get_tenant(request)``: the tenant whose SCIM settings the
request is about (a row of ``TENANT_MODEL``), or None when there is none. The default takes
the ``tenant`` keyword argument of the URL (mount the pages under
``path("orgs/<int:tenant>/scim/", include(...))``) or, for superusers only, the ``?tenant=``
query parameter. Without ``TENANT_MODEL`` there is a single, implicit tenant: None.

``SELF_SERVICE_PERMISSION`` names ``can_manage_scim(request, tenant)``; the default allows
active superusers only. A superuser who names no tenant gets the tenant picker
(``views.TenantPickerView``), which lists the tenants this hook allows them. Typical host versions::

    def get_tenant(request):
        return getattr(request.user, "organization", None)

    def can_manage_scim(request, tenant):
        return request.user.is_authenticated and tenant.admins.filter(pk=request.user.pk).exists()
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from ..conf import scim_settings
from ..models import get_tenant_model

TENANT_PARAMETER = "tenant"


class NoTenant(Http404):
    """Multi-tenant, and the request names no tenant (or one that does not exist)."""


def _is_superuser(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def can_manage_scim(request, tenant: Any) -> bool:
    """Default ``SELF_SERVICE_PERMISSION``: active superusers only."""
    return _is_superuser(request)


def get_tenant(request) -> Any:
    """Default ``SELF_SERVICE_TENANT``: the URL's ``tenant`` kwarg, or ``?tenant=`` for a
    superuser; None when ``TENANT_MODEL`` is not set."""
    model = get_tenant_model()
    if model is None:
        return None
    match = getattr(request, "resolver_match", None)
    key = (match.kwargs if match is not None else {}).get(TENANT_PARAMETER)
    if key is None and _is_superuser(request):
        key = request.GET.get(TENANT_PARAMETER) or request.POST.get(TENANT_PARAMETER)
    if key in (None, ""):
        return None
    try:
        pk = model._meta.pk.to_python(key)
    except Exception:
        return None
    return model._default_manager.filter(pk=pk).first()


def resolve_tenant(request) -> Any:
    """The request's tenant per ``SELF_SERVICE_TENANT``; ``NoTenant`` (404) when multi-tenant
    and none is found."""
    tenant = scim_settings.SELF_SERVICE_TENANT(request)
    if tenant is None and get_tenant_model() is not None:
        raise NoTenant("No tenant: the SCIM settings belong to a tenant.")
    return tenant


def allowed(request, tenant: Any) -> bool:
    return bool(scim_settings.SELF_SERVICE_PERMISSION(request, tenant))
