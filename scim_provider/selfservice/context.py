"""What every self-service page and API call needs: the tenant, the permission, URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse

from ..conf import scim_settings
from ..models import tenant_key
from . import access


def authorize(request) -> Any:
    """The request's tenant, if ``SELF_SERVICE_PERMISSION`` allows the user to manage it.

    Raises ``PermissionDenied`` (403) when not allowed, and when the tenant cannot be found
    for anyone but superusers (404), so that strangers cannot probe which tenants exist.
    """
    try:
        tenant = access.resolve_tenant(request)
    except access.NoTenant:
        if access._is_superuser(request):
            raise
        raise PermissionDenied("You may not manage SCIM here.") from None
    if not access.allowed(request, tenant):
        raise PermissionDenied("You may not manage SCIM for this account.")
    return tenant


def scim_base_url(request) -> str:
    """The SCIM base URL the identity provider needs: ``SELF_SERVICE_BASE_URL`` or the
    absolute URL where ``scim_provider.urls`` is mounted, without a trailing slash."""
    if scim_settings.SELF_SERVICE_BASE_URL:
        return scim_settings.SELF_SERVICE_BASE_URL.rstrip("/")
    try:
        path = reverse("scim_provider:service-provider-config")
    except NoReverseMatch:
        return request.build_absolute_uri("/").rstrip("/")
    return request.build_absolute_uri(path.rsplit("ServiceProviderConfig", 1)[0]).rstrip("/")


class Urls:
    """Reverse self-service URLs keeping the tenant: the URL's ``tenant`` kwarg, or the
    ``?tenant=`` parameter the page was opened with."""

    def __init__(self, request, tenant: Any) -> None:
        match = request.resolver_match
        self.namespace = match.namespace if match is not None else "scim_selfservice"
        self.kwargs = {}
        if match is not None and access.TENANT_PARAMETER in match.kwargs:
            self.kwargs[access.TENANT_PARAMETER] = match.kwargs[access.TENANT_PARAMETER]
        self.query = ""
        if tenant is not None and not self.kwargs:
            self.query = urlencode({access.TENANT_PARAMETER: tenant_key(tenant)})

    def __call__(self, name: str, query: dict | None = None, **kwargs: Any) -> str:
        url = reverse(f"{self.namespace}:{name}", kwargs={**self.kwargs, **kwargs})
        params = "&".join(p for p in (self.query, urlencode(query or {})) if p)
        return f"{url}?{params}" if params else url
