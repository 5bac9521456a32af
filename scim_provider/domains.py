"""Verified email domains of tenants, and the domain policy (``DOMAIN_POLICY``).

In a product whose customers share one user table, a tenant's identity provider must only
provision that tenant's people. Each tenant claims the email domains it owns
(``ScimDomain``) and proves each one with a DNS TXT record on the domain::

    acme.example.  TXT  "scim-domain-verification=<challenge>"

or has staff mark it verified (admin, ``manage.py scim_domains --verified``). A domain
verified by one tenant cannot be verified by another. Subdomains are domains of their own.

With ``DOMAIN_POLICY = "verified"`` (the default), a tenant's token may create, adopt or
change the ``userName`` or primary email of a user only within the tenant's verified
domains; outside them the answer is a SCIM 403 naming the domain. The check runs before
any lookup, so the answer never tells whether a login exists elsewhere in the product.
Tokens without a tenant (the operator's own) are not confined.

The DNS lookup is ``DOMAIN_TXT_LOOKUP``, an import string of ``lookup(domain) -> list of
TXT strings`` (default: ``lookup_txt``, dnspython), so that tests and hosts with their own
resolver can answer it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import tokens
from .conf import scim_settings
from .mapping import ResourcePath, get_value
from .models import ScimAuditEntry, ScimDomain, tenant_key
from .protocol import errors

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.users import UserAdapter

#: The value of the TXT record, before the domain's challenge.
TXT_PREFIX = "scim-domain-verification="
CHALLENGE_LENGTH = 32
PRIMARY_EMAIL = ResourcePath("emails", "value", primary=True)
#: Attribute of an adapter holding its tenant's verified domains for the request.
CACHE_ATTRIBUTE = "_scim_verified_domains"


class DomainError(ValueError):
    """A domain cannot be added, verified or removed; the message says why."""


class LookupFailed(DomainError):
    """The DNS could not be asked (timeout, no server): try again later."""


# Domains and addresses -------------------------------------------------------------------


def normalize_domain(text: Any) -> str:
    """``text`` as stored: lower case, IDNA (``bücher.example`` -> ``xn--bcher-kva.example``),
    no trailing dot, no ``@``; ``DomainError`` when it is not a domain name."""
    if not isinstance(text, str):
        raise DomainError("A domain must be text, such as example.com.")
    name = text.strip().lower().lstrip("@").rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise DomainError(f"{text!r} is not a domain name.") from None
    labels = name.split(".")
    valid = (
        len(name) <= 253
        and len(labels) >= 2
        and all(
            0 < len(label) <= 63
            and not label.startswith("-")
            and not label.endswith("-")
            and all(c.isalnum() or c == "-" for c in label)
            for label in labels
        )
        and not labels[-1].isdigit()
    )
    if not valid:
        raise DomainError(f"{text!r} is not a domain name such as example.com.")
    return name


def domain_of(address: Any) -> str | None:
    """The normalized domain of an email address (or UPN), None when it has none."""
    if not isinstance(address, str) or "@" not in address:
        return None
    try:
        return normalize_domain(address.rsplit("@", 1)[1])
    except DomainError:
        return None


def txt_record(row: ScimDomain) -> str:
    """The TXT value that proves ``row``'s domain."""
    return f"{TXT_PREFIX}{row.challenge}"


def lookup_txt(domain: str) -> list[str]:
    """Default ``DOMAIN_TXT_LOOKUP``: the TXT strings of ``domain`` (dnspython); none when
    the domain or the record does not exist, ``LookupFailed`` when the DNS did not answer."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(domain, "TXT", lifetime=5.0)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise LookupFailed(f"The DNS did not answer for {domain} ({exc}); try again.") from exc
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


# Operations (self-service, admin, command) ------------------------------------------------


def tenant_domains(tenant: Any) -> QuerySet:
    """The domains ``tenant`` claims, verified or not."""
    return ScimDomain.objects.filter(tenant_id=tenant_key(tenant))


def verified_domains(tenant: Any) -> frozenset[str]:
    """The verified domains of ``tenant``: one query."""
    rows = tenant_domains(tenant).filter(verified_at__isnull=False)
    return frozenset(rows.values_list("domain", flat=True))


def get_domain(tenant: Any, identifier: Any) -> ScimDomain:
    """The tenant's domain by primary key or name; ``DomainError`` when it has none."""
    rows = tenant_domains(tenant)
    if isinstance(identifier, int) or str(identifier).isdigit():
        row = rows.filter(pk=int(identifier)).first()
    else:
        try:
            row = rows.filter(domain=normalize_domain(identifier)).first()
        except DomainError:
            row = None
    if row is None:
        raise DomainError(f"This account has no domain {identifier!r}.")
    return row


def add_domain(tenant: Any, domain: Any, *, actor=None, verified: bool = False) -> ScimDomain:
    """Claim ``domain`` for ``tenant`` (audited); ``verified`` marks it verified at once, as
    staff may. Claiming a domain the tenant already has returns it."""
    from .services import audit

    name = normalize_domain(domain)
    tenant_id = tenant_key(tenant)
    with transaction.atomic():
        row, created = ScimDomain.objects.get_or_create(
            tenant_id=tenant_id,
            domain=name,
            defaults={"challenge": tokens.random_string(CHALLENGE_LENGTH)},
        )
        if created:
            audit(tenant_id, ScimAuditEntry.DOMAIN_ADDED, actor, domain=name)
    if verified and not row.is_verified:
        mark_verified(row, ScimDomain.STAFF, actor=actor)
    return row


def verify_domain(row: ScimDomain, *, actor=None) -> ScimDomain:
    """Look up the TXT records of ``row``'s domain and mark it verified when one holds its
    challenge; ``DomainError`` says what is missing."""
    if row.is_verified:
        return row
    records = scim_settings.DOMAIN_TXT_LOOKUP(row.domain)
    if txt_record(row) not in {str(record).strip() for record in records}:
        raise DomainError(
            f"No TXT record {txt_record(row)!r} was found on {row.domain}. Add it at your DNS "
            "provider, wait for it to be published (minutes to hours), then verify again."
        )
    return mark_verified(row, ScimDomain.DNS, actor=actor)


def mark_verified(row: ScimDomain, method: str, *, actor=None) -> ScimDomain:
    """Mark ``row`` verified (audited); ``DomainError`` when another tenant verified it."""
    from .services import audit

    now = timezone.now()
    try:
        with transaction.atomic():
            updated = ScimDomain.objects.filter(pk=row.pk, verified_at__isnull=True).update(
                verified_at=now, verified_by=method
            )
            if updated:
                action = ScimAuditEntry.DOMAIN_VERIFIED
                audit(row.tenant_id, action, actor, domain=row.domain, by=method)
    except IntegrityError:
        raise DomainError(
            f"{row.domain} is verified by another account. Contact support if it is yours."
        ) from None
    row.refresh_from_db()
    return row


def remove_domain(row: ScimDomain, *, actor=None) -> None:
    """Give up ``row``'s domain (audited): its users stay, but can no longer be created,
    adopted or renamed into it by the tenant's identity provider."""
    from .services import audit

    with transaction.atomic():
        row.delete()
        audit(row.tenant_id, ScimAuditEntry.DOMAIN_REMOVED, actor, domain=row.domain)


# The policy -------------------------------------------------------------------------------


def policy_applies(tenant_id: str) -> bool:
    """Whether ``DOMAIN_POLICY`` confines the tokens of ``tenant_id`` ('' is no tenant)."""
    return bool(tenant_id) and scim_settings.DOMAIN_POLICY == "verified"


def adapter_domains(adapter: UserAdapter) -> frozenset[str]:
    """The verified domains of the adapter's tenant, read once per adapter (request)."""
    cached = getattr(adapter, CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = verified_domains(adapter.tenant_id)
        setattr(adapter, CACHE_ATTRIBUTE, cached)
    return cached


def refusal(adapter: UserAdapter, attribute: str, address: Any) -> str | None:
    """Why the adapter's tenant may not hold ``address`` (its ``attribute``), or None."""
    domain = domain_of(address)
    allowed = adapter_domains(adapter)
    listed = ", ".join(sorted(allowed)) or "none yet"
    if domain is None:
        return (
            f"{attribute} {address!r} has no domain: this account provisions only addresses "
            f"in its verified domains ({listed})."
        )
    if domain not in allowed:
        return (
            f"The domain {domain} of {attribute} is not verified for this account (verified: "
            f"{listed}). An administrator can verify it on the SCIM settings page (Domains)."
        )
    return None


def enforce(adapter: UserAdapter, resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    """403 when ``resource`` sets a ``userName`` or primary email outside the tenant's
    verified domains (on update: only when it changes). Runs before any lookup."""
    if not policy_applies(adapter.tenant_id):
        return
    for attribute, path in (("userName", None), ("the primary email", PRIMARY_EMAIL)):
        value = resource.get("userName") if path is None else get_value(resource, path)
        if path is not None and not value:
            continue  # no email: nothing to confine
        if current is not None:
            before = current.get("userName") if path is None else get_value(current, path)
            if _folded(before) == _folded(value):
                continue
        reason = refusal(adapter, attribute, value)
        if reason is not None:
            raise errors.Forbidden(reason)


def _folded(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
