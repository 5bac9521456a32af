from django.contrib import admin
from django.urls import include, path

from tests.testapp.views import EchoView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/v2/", include("scim_provider.urls")),
    path("scim-test/echo", EchoView.as_view()),
    # Self-service: the tenant from ?tenant= (superusers), and from the URL.
    path("scim-settings/", include("scim_provider.selfservice.urls")),
    path(
        "orgs/<str:tenant>/scim-settings/",
        include("scim_provider.selfservice.urls", namespace="org_scim_settings"),
    ),
]
