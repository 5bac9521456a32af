"""Operations shared by the admin, the management commands and the self-service pages and
API, one module per concern: ``tokens`` (create, rotate, revoke, expiry notices),
``tenants`` (the per-tenant SCIM switch, its request and audit logs, counts), ``users``
(linking existing users), ``audit`` (who acted, the audit log). None of them imports an
HTTP module: views pass what they know of a request (``Actor.from_request``).
"""

from .audit import Actor, audit, find_tenant
from .tenants import (
    TenantCounts,
    request_log_model,
    scim_enabled,
    set_scim_enabled,
    tenant_audit_log,
    tenant_counts,
    tenant_requests,
)
from .tokens import (
    TokenNotFound,
    TokenNotUsable,
    create_token,
    find_token,
    get_tenant_token,
    list_tokens,
    notify_expiring_tokens,
    revoke,
    revoke_token,
    rotate_token,
    rotated_token_pks,
    tenant_tokens,
    tokens_expiring,
)
from .users import LinkResult, link_existing_users

__all__ = [
    "Actor",
    "LinkResult",
    "TenantCounts",
    "TokenNotFound",
    "TokenNotUsable",
    "audit",
    "create_token",
    "find_tenant",
    "find_token",
    "get_tenant_token",
    "link_existing_users",
    "list_tokens",
    "notify_expiring_tokens",
    "request_log_model",
    "revoke",
    "revoke_token",
    "rotate_token",
    "rotated_token_pks",
    "scim_enabled",
    "set_scim_enabled",
    "tenant_audit_log",
    "tenant_counts",
    "tenant_requests",
    "tenant_tokens",
    "tokens_expiring",
]
