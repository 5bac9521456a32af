from django.contrib import admin
from django.urls import include, path

from tests.testapp.views import EchoView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("scim/v2/", include("scim_provider.urls")),
    path("scim-test/echo", EchoView.as_view()),
]
