"""``multi-tenant``: customer organizations that share one user table, each with its own
identity provider (docs/tenants.md).

Each organization's tokens provision only the organization's verified email domains (the
default ``DOMAIN_POLICY``, spelled out here); existing accounts of those domains are adopted
when the identity provider first pushes them, never staff or superusers; every customer
together may send ``TENANT_RATE_LIMIT`` requests, however many tokens it creates.
"""

SCIM_PROVIDER = {
    "DOMAIN_POLICY": "verified",
    "MATCH_EXISTING_USERS": ["userName", "email"],
    "TENANT_RATE_LIMIT": "6000/min",
}
