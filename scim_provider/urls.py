"""SCIM URLs; mount them with ``path("scim/v2/", include("scim_provider.urls"))``.

Trailing slashes are optional. Any other path below the prefix answers a SCIM 404.
"""

from django.urls import re_path

from . import views

app_name = "scim_provider"

urlpatterns = [
    re_path(
        r"^ServiceProviderConfigs?/?$",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(r"^ResourceTypes/?$", views.ResourceTypeListView.as_view(), name="resource-types"),
    re_path(
        r"^ResourceTypes/(?P<resource_type_id>[^/]+)/?$",
        views.ResourceTypeDetailView.as_view(),
        name="resource-type-detail",
    ),
    re_path(r"^Schemas/?$", views.SchemaListView.as_view(), name="schemas"),
    re_path(
        r"^Schemas/(?P<schema_id>[^/]+)/?$", views.SchemaDetailView.as_view(), name="schema-detail"
    ),
    re_path(r"^Users/?$", views.ResourceListView.as_view(), name="users"),
    re_path(r"^Users/\.search/?$", views.ResourceSearchView.as_view(), name="user-search"),
    re_path(
        r"^Users/(?P<scim_id>[^/]+)/?$", views.ResourceDetailView.as_view(), name="user-detail"
    ),
    re_path(r"^Groups/?$", views.ResourceListView.as_view(resource="Group"), name="groups"),
    re_path(
        r"^Groups/\.search/?$",
        views.ResourceSearchView.as_view(resource="Group"),
        name="group-search",
    ),
    re_path(r"^Groups/(?P<scim_id>[^/]+)/?$", views.GroupDetailView.as_view(), name="group-detail"),
    re_path(r"^\.search/?$", views.RootSearchView.as_view(), name="root-search"),
    re_path(r"^Me/?$", views.MeView.as_view(), name="me"),
    re_path(r"^Bulk/?$", views.BulkView.as_view(), name="bulk"),
    # [\s\S], not ".": a newline (%0A in a path) must not fall through to Django's 404.
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="not-found"),
]
