"""The baseline: what a bare Django view pays for the same indexed lookup.

``GET /bench/bare/user?userName=...&tenant=...`` finds one user by the same index a SCIM
``userName eq`` filter uses (``ScimUser`` on ``(tenant_id, user_name_key)``, joined to the
host user) and JSON-encodes a small document. No authentication, no DRF, no SCIM: the
load driver's results are ratios against this view, measured in the same run.
"""

from __future__ import annotations

from django.http import JsonResponse

from scim_provider.models import ScimUser


def bare_user(request):
    name = request.GET.get("userName", "")
    tenant = request.GET.get("tenant", "")
    link = (
        ScimUser.objects.select_related("user")
        .filter(tenant_id=tenant, user_name_key=name.lower(), deleted_at__isnull=True)
        .first()
    )
    resources = []
    if link is not None:
        user = link.user
        resources.append(
            {
                "id": str(link.scim_id),
                "userName": link.user_name,
                "name": {"givenName": user.first_name, "familyName": user.last_name},
                "emails": [{"value": user.email, "primary": True}],
                "active": user.is_active,
                "meta": {"version": str(link.version)},
            }
        )
    return JsonResponse({"totalResults": len(resources), "Resources": resources})
