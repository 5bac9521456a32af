"""Self-service SCIM settings for customer admins: pages, a JSON API and group mappings.

Mount with ``path("scim-settings/", include("scim_provider.selfservice.urls"))``;
see docs/selfservice.md.
"""
