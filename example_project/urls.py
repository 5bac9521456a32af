from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/v2/", include("scim_provider.urls")),
    # Self-service SCIM settings of one organization (docs/selfservice.md): base URL, setup
    # instructions, tokens, activity. Superusers only, unless SELF_SERVICE_PERMISSION says
    # otherwise: `make demo` prints the admin login and the demo organization's URL.
    path("orgs/<int:tenant>/scim-settings/", include("scim_provider.selfservice.urls")),
]
