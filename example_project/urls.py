from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/v2/", include("scim_provider.urls")),
    # Self-service SCIM settings of one organization (docs/selfservice.md): base URL, setup
    # instructions, tokens, activity. Superusers only, unless SELF_SERVICE_PERMISSION says
    # otherwise: open /orgs/1/scim-settings/ after `createsuperuser`.
    path("orgs/<int:tenant>/scim-settings/", include("scim_provider.selfservice.urls")),
]
