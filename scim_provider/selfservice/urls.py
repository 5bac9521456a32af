"""Self-service URLs: ``path("scim-settings/", include("scim_provider.selfservice.urls"))``.

Mount them under a ``tenant`` URL kwarg (``path("orgs/<int:tenant>/scim/", include(...))``)
for the default ``SELF_SERVICE_TENANT`` to find the tenant there. The JSON API is under
``api/``.
"""

from django.urls import path

from . import api, views

app_name = "scim_selfservice"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("tenants/", views.TenantPickerView.as_view(), name="tenants"),
    path("enable/", views.EnableView.as_view(), name="enable"),
    path("setup/", views.SetupView.as_view(), name="setup"),
    path("tokens/", views.TokenListView.as_view(), name="tokens"),
    path(
        "tokens/<str:pk>/rotate/",
        views.TokenActionView.as_view(action="rotate"),
        name="token-rotate",
    ),
    path(
        "tokens/<str:pk>/revoke/",
        views.TokenActionView.as_view(action="revoke"),
        name="token-revoke",
    ),
    path("domains/", views.DomainsView.as_view(), name="domains"),
    path(
        "domains/<int:pk>/verify/",
        views.DomainActionView.as_view(action="verify"),
        name="domain-verify",
    ),
    path(
        "domains/<int:pk>/remove/",
        views.DomainActionView.as_view(action="remove"),
        name="domain-remove",
    ),
    path("activity/", views.ActivityView.as_view(), name="activity"),
    path("audit/", views.AuditView.as_view(), name="audit"),
    path("groups/", views.GroupsView.as_view(), name="groups"),
    path("groups/<str:group>/map/", views.MappingAddView.as_view(), name="mapping-add"),
    path("mappings/<int:pk>/remove/", views.MappingRemoveView.as_view(), name="mapping-remove"),
    path("rules/", views.RuleAddView.as_view(), name="rule-add"),
    path("rules/<int:pk>/remove/", views.RuleRemoveView.as_view(), name="rule-remove"),
    # JSON API (session authentication, same permission hook).
    path("api/", api.OverviewApi.as_view(), name="api-overview"),
    path("api/enable/", api.EnableApi.as_view(), name="api-enable"),
    path("api/tokens/", api.TokenListApi.as_view(), name="api-tokens"),
    path("api/tokens/<str:pk>/rotate/", api.TokenRotateApi.as_view(), name="api-token-rotate"),
    path("api/tokens/<str:pk>/revoke/", api.TokenRevokeApi.as_view(), name="api-token-revoke"),
    path("api/domains/", api.DomainListApi.as_view(), name="api-domains"),
    path("api/domains/<int:pk>/", api.DomainDetailApi.as_view(), name="api-domain"),
    path("api/domains/<int:pk>/verify/", api.DomainVerifyApi.as_view(), name="api-domain-verify"),
    path("api/requests/", api.RequestListApi.as_view(), name="api-requests"),
    path("api/audit/", api.AuditListApi.as_view(), name="api-audit"),
    path("api/groups/", api.GroupListApi.as_view(), name="api-groups"),
    path("api/mappables/", api.MappableListApi.as_view(), name="api-mappables"),
    path("api/mappings/", api.MappingListApi.as_view(), name="api-mappings"),
    path("api/mappings/<int:pk>/", api.MappingDetailApi.as_view(), name="api-mapping"),
    path("api/rules/", api.RuleListApi.as_view(), name="api-rules"),
    path("api/rules/<int:pk>/", api.RuleDetailApi.as_view(), name="api-rule"),
]
