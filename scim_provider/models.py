"""Models: SCIM tokens (swappable, hashed).

A token is stored as its non-secret lookup ``key`` and the SHA-256 ``digest``
of the whole plaintext; the plaintext is returned once by ``create_token`` and
never kept. A token may be bound to a tenant: a row of the host's
``SCIM_PROVIDER["TENANT_MODEL"]``, referenced by primary key (stored as text,
so that any key type works without a migration dependency on the host).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import tokens
from .compiled import CompiledQuery
from .conf import scim_settings


def get_tenant_model() -> type[models.Model] | None:
    """The host's tenant model, or None when SCIM is not multi-tenant."""
    label = scim_settings.TENANT_MODEL
    if not label:
        return None
    try:
        return apps.get_model(label, require_ready=False)
    except (LookupError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"SCIM_PROVIDER['TENANT_MODEL'] refers to {label!r}, which is not installed."
        ) from exc


def tenant_key(tenant: Any) -> str:
    """How a tenant is referenced in our tables: its primary key as text ('' for none)."""
    if tenant is None:
        return ""
    if isinstance(tenant, models.Model):
        return str(tenant.pk)
    return str(tenant)


@CompiledQuery
def token_by_key(model: type[models.Model], key: str) -> models.QuerySet:
    """The token with ``key``, and its tenant's SCIM switch (permissions.HasScimToken)."""
    enabled = ScimTenantSettings.objects.filter(tenant_id=models.OuterRef("tenant_id"))
    return (
        model._default_manager.filter(key=key)
        .annotate(scim_tenant_enabled=models.Subquery(enabled.values("enabled")[:1]))
        .order_by()[:1]
    )


class ScimTokenManager(models.Manager):
    def create_token(
        self,
        name: str,
        *,
        expires_at=None,
        expires_in_days: int | None = None,
        tenant: Any = None,
        created_by=None,
    ) -> tuple[AbstractScimToken, str]:
        """Create a token; return ``(token, plaintext)``. The plaintext is never stored."""
        if expires_at is None:
            days = expires_in_days or scim_settings.TOKEN_DEFAULT_EXPIRY_DAYS
            if days:
                expires_at = timezone.now() + timedelta(days=days)
        token = self.model(
            name=name, expires_at=expires_at, tenant_id=tenant_key(tenant), created_by=created_by
        )
        plaintext = token.set_new_secret()
        token.save(force_insert=True)
        return token, plaintext

    def get_for_plaintext(self, plaintext: str) -> AbstractScimToken | None:
        """The token matching ``plaintext`` (any state), or None. Constant-time compare."""
        parsed = tokens.parse_token(plaintext)
        if parsed is None:
            return None
        found = token_by_key(self.model, parsed.key)
        token = found[0] if found else None
        if token is None or not tokens.digests_match(parsed.digest, token.digest):
            return None
        return token


class AbstractScimToken(models.Model):
    """A bearer credential an identity provider uses to call the SCIM API."""

    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("key"), max_length=tokens.KEY_LENGTH, unique=True, editable=False)
    display_prefix = models.CharField(
        _("prefix"),
        max_length=32,
        editable=False,
        help_text=_("The non-secret start of the token, to recognise it."),
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(
        _("last used from"), null=True, blank=True, editable=False
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="", db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ScimTokenManager()

    class Meta:
        abstract = True
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    def set_new_secret(self) -> str:
        """Give this (unsaved) token a fresh secret; return the plaintext, which is not kept."""
        plaintext = tokens.generate_token(scim_settings.TOKEN_PREFIX)
        parsed = tokens.parse_token(plaintext)
        self.key, self.digest = parsed.key, parsed.digest
        self.display_prefix = plaintext[: -tokens.SECRET_LENGTH]
        return plaintext

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now=None) -> bool:
        return not self.is_revoked and not self.is_expired(now)

    @property
    def status(self) -> str:
        if self.is_revoked:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active"

    @property
    def tenant(self) -> models.Model | None:
        model = get_tenant_model()
        if model is None or not self.tenant_id:
            return None
        return model._default_manager.filter(pk=self.tenant_id).first()

    def revoke(self) -> bool:
        """Revoke the token; return False if it already was."""
        if self.is_revoked:
            return False
        self.revoked_at = timezone.now()
        type(self)._default_manager.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=self.revoked_at
        )
        return True

    def record_use(self, ip: str | None, now=None) -> None:
        """Update last-used, at most once per ``TOKEN_LAST_USED_INTERVAL`` seconds."""
        now = now or timezone.now()
        interval = timedelta(seconds=scim_settings.TOKEN_LAST_USED_INTERVAL)
        if self.last_used_at is not None and now - self.last_used_at < interval:
            return
        self.last_used_at, self.last_used_ip = now, ip
        type(self)._default_manager.filter(pk=self.pk).update(last_used_at=now, last_used_ip=ip)


class ScimToken(AbstractScimToken):
    class Meta(AbstractScimToken.Meta):
        swappable = "SCIM_PROVIDER_TOKEN_MODEL"


def get_token_model() -> type[AbstractScimToken]:
    """The active token model (``SCIM_PROVIDER_TOKEN_MODEL``)."""
    try:
        return apps.get_model(scim_settings.token_model, require_ready=False)
    except (LookupError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"SCIM_PROVIDER_TOKEN_MODEL refers to {scim_settings.token_model!r}, "
            "which is not installed."
        ) from exc


class ScimLink(models.Model):
    """What every SCIM resource row holds: its SCIM ``id`` (a UUID, never reused), tenant,
    ``externalId``, the attributes kept as JSON, timestamps, the version behind its ETag,
    and soft-delete state."""

    scim_id = models.UUIDField(_("SCIM id"), unique=True, default=uuid.uuid4, editable=False)
    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="")
    external_id = models.CharField(_("externalId"), max_length=255, blank=True, default="")
    attributes = models.JSONField(_("other SCIM attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last modified"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ScimUser(ScimLink):
    """The SCIM identity of one host user: one row per provisioned or adopted user.

    The host's user model is never changed: the SCIM ``id`` (a UUID, never reused),
    ``externalId``, the tenant, soft-delete state and every SCIM attribute that is not
    mapped to a host field (``attributes``, so that a GET returns what was PUT) live here.
    ``user_name_key`` and ``email_key`` are lower-cased copies of ``userName`` and the
    primary email: the indexed columns behind the identity providers' lookups
    (``userName eq "..."`` is case-insensitive, RFC 7643 §4.1.1).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="scim_link",
    )
    user_name = models.CharField(_("userName"), max_length=255, blank=True, default="")
    user_name_key = models.CharField(_("userName (lower case)"), max_length=255)
    email_key = models.CharField(_("email (lower case)"), max_length=254, blank=True, default="")

    class Meta:
        verbose_name = _("SCIM user")
        verbose_name_plural = _("SCIM users")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "user_name_key"], name="scim_user_unique_user_name"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant_id", "external_id"], name="scim_user_external_id"),
            models.Index(fields=["tenant_id", "email_key"], name="scim_user_email"),
            models.Index(fields=["tenant_id", "id"], name="scim_user_tenant_order"),
        ]

    def __str__(self) -> str:
        return f"{self.user_name_key} ({self.scim_id})"


class ScimGroup(ScimLink):
    """A group pushed by an identity provider (Okta Push Groups, Entra group provisioning).

    The group and its memberships are kept here, whatever the host does with them; the
    host's own group model (``GROUP_MODEL``, ``auth.Group`` by default) is mirrored by
    the group adapter: ``host_group_id`` is its primary key as text, ``host_group_model``
    the model it is a key of (``"auth.group"``), so that a key written under another
    ``GROUP_MODEL`` is never read as a key of the current one.
    """

    display_name = models.CharField(_("displayName"), max_length=255)
    display_name_key = models.CharField(_("displayName (lower case)"), max_length=255)
    host_group_id = models.CharField(_("host group"), max_length=64, blank=True, default="")
    host_group_model = models.CharField(
        _("host group model"), max_length=100, blank=True, default=""
    )
    members = models.ManyToManyField(
        ScimUser, through="ScimMembership", related_name="scim_groups", blank=True
    )

    class Meta:
        verbose_name = _("SCIM group")
        verbose_name_plural = _("SCIM groups")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "display_name_key"],
                condition=models.Q(deleted_at__isnull=True),
                name="scim_group_unique_display_name",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant_id", "external_id"], name="scim_group_external_id"),
            models.Index(fields=["tenant_id", "id"], name="scim_group_tenant_order"),
        ]

    def __str__(self) -> str:
        return self.display_name


class ScimMembership(models.Model):
    """A user's membership of a SCIM group, as the identity provider pushed it."""

    group = models.ForeignKey(ScimGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(ScimUser, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("SCIM membership")
        verbose_name_plural = _("SCIM memberships")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="scim_membership_unique"),
        ]
        indexes = [
            # A group's members in insertion order, read page-wise (GET, the PATCH answer):
            # without it PostgreSQL walks the primary key past other groups' rows.
            models.Index(fields=["group", "id"], name="scim_membership_group_order"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}"


#: Characters of a value's case-folded form kept in ``ScimValue.key`` (the indexed prefix).
VALUE_KEY_LENGTH = 255


class ScimValue(models.Model):
    """One value of a multi-valued attribute of a user or group (``emails``, ``roles``,
    ``phoneNumbers``, registered ones), where filters reach it (RFC 7644 §3.4.2.2): a
    resource matches ``emails.value eq "x"`` when any of its rows does.

    Written by ``scim_provider.multivalued`` from the resource as GET returns it, whenever
    one of its multi-valued attributes changes. ``value`` is the element's ``value`` (or
    the element itself, for a multi-valued attribute without sub-attributes) when it is a
    string; ``folded`` its ``casefold()``; ``key`` the first ``VALUE_KEY_LENGTH``
    characters of ``folded``, indexed for the ``eq`` lookups identity providers send.
    ``data`` is the whole element (its other sub-attributes), ``present`` whether some of
    it has a value (``emails pr``). A user's ``groups`` and a group's ``members`` are not
    stored here: they are ``ScimMembership`` rows.
    """

    user = models.ForeignKey(
        ScimUser, null=True, blank=True, on_delete=models.CASCADE, related_name="multi_values"
    )
    group = models.ForeignKey(
        ScimGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="multi_values"
    )
    attribute = models.CharField(_("attribute"), max_length=255)
    position = models.PositiveIntegerField(_("position"), default=0)
    # NULL: no string value (a number, or none); "" is a value (``emails.value eq ""``).
    value = models.TextField(_("value"), null=True, blank=True)  # noqa: DJ001
    folded = models.TextField(_("value (case-folded)"), null=True, blank=True)  # noqa: DJ001
    key = models.CharField(  # noqa: DJ001
        _("value (case-folded, indexed prefix)"),
        max_length=VALUE_KEY_LENGTH,
        null=True,
        blank=True,
    )
    data = models.JSONField(_("element"), default=dict, blank=True)
    present = models.BooleanField(_("has a value"), default=True)

    class Meta:
        verbose_name = _("SCIM multi-valued attribute value")
        verbose_name_plural = _("SCIM multi-valued attribute values")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, group__isnull=True)
                | models.Q(user__isnull=True, group__isnull=False),
                name="scim_value_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["attribute", "key"], name="scim_value_lookup")]

    def __str__(self) -> str:
        return f"{self.attribute}[{self.position}] = {self.value!r}"


class ScimRequestLog(models.Model):
    """One SCIM request, as ``REQUEST_LOG`` asks: who, what, the outcome (docs/security.md).

    Written after the request's transaction has closed, so a request that was rolled back
    is still recorded. The token is referenced and its non-secret prefix copied (the row
    outlives the token); the body is stored redacted (``scim_provider.requestlog``).
    """

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    query = models.TextField(_("query string"), blank=True, default="")
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    # The token's primary key as text, not a foreign key: the token model is swappable
    # (with any key type), and a log row must outlive its token.
    token_pk = models.CharField(_("token id"), max_length=64, blank=True, default="")
    token_prefix = models.CharField(_("token prefix"), max_length=32, blank=True, default="")
    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="")
    resource_type = models.CharField(_("resource type"), max_length=32, blank=True, default="")
    resource_id = models.CharField(_("resource id"), max_length=64, blank=True, default="")
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    request_body = models.JSONField(_("request body (redacted)"), null=True, blank=True)
    scim_type = models.CharField(_("scimType"), max_length=32, blank=True, default="")
    error_detail = models.TextField(_("error detail"), blank=True, default="")

    class Meta:
        verbose_name = _("SCIM request")
        verbose_name_plural = _("SCIM request log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["resource_type", "resource_id", "created_at"],
                name="scim_log_resource",
            ),
            models.Index(fields=["tenant_id", "created_at"], name="scim_log_tenant"),
            models.Index(fields=["token_prefix", "created_at"], name="scim_log_token"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"


# Self-service (docs/selfservice.md) ------------------------------------------------------


class ScimTenantSettings(models.Model):
    """Per-tenant SCIM switch, set by the customer's admin on the self-service page.

    A tenant without a row follows ``TENANT_ENABLED_BY_DEFAULT``. The tokens of a disabled
    tenant get 403 from the SCIM API (``permissions.HasScimToken``).
    """

    tenant_id = models.CharField(_("tenant"), max_length=64, unique=True, blank=True)
    enabled = models.BooleanField(_("SCIM enabled"), default=True)
    updated_at = models.DateTimeField(_("last modified"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last modified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("SCIM tenant settings")
        verbose_name_plural = _("SCIM tenant settings")

    def __str__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"SCIM {state} for tenant {self.tenant_id!r}"


class ScimAuditEntry(models.Model):
    """Who changed the SCIM setup of a tenant, when, from where: one row per action.

    ``actor`` may be deleted later; ``actor_name`` keeps who it was. Tokens are referenced
    by primary key and non-secret prefix, like the request log.
    """

    TOKEN_CREATED = "token_created"
    TOKEN_ROTATED = "token_rotated"
    TOKEN_REVOKED = "token_revoked"
    TOKEN_EXPIRING = "token_expiring"
    SCIM_ENABLED = "scim_enabled"
    SCIM_DISABLED = "scim_disabled"
    MAPPING_ADDED = "mapping_added"
    MAPPING_REMOVED = "mapping_removed"
    RULE_ADDED = "rule_added"
    RULE_REMOVED = "rule_removed"
    DOMAIN_ADDED = "domain_added"
    DOMAIN_VERIFIED = "domain_verified"
    DOMAIN_REMOVED = "domain_removed"
    ACTIONS = [
        (TOKEN_CREATED, _("token created")),
        (TOKEN_ROTATED, _("token rotated")),
        (TOKEN_REVOKED, _("token revoked")),
        (TOKEN_EXPIRING, _("token expiry notice sent")),
        (SCIM_ENABLED, _("SCIM enabled")),
        (SCIM_DISABLED, _("SCIM disabled")),
        (MAPPING_ADDED, _("group mapping added")),
        (MAPPING_REMOVED, _("group mapping removed")),
        (RULE_ADDED, _("mapping rule added")),
        (RULE_REMOVED, _("mapping rule removed")),
        (DOMAIN_ADDED, _("domain added")),
        (DOMAIN_VERIFIED, _("domain verified")),
        (DOMAIN_REMOVED, _("domain removed")),
    ]

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="")
    action = models.CharField(_("action"), max_length=32, choices=ACTIONS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("by (name)"), max_length=255, blank=True, default="")
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    token_pk = models.CharField(_("token id"), max_length=64, blank=True, default="")
    token_prefix = models.CharField(_("token prefix"), max_length=32, blank=True, default="")
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("SCIM audit entry")
        verbose_name_plural = _("SCIM audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant_id", "created_at"], name="scim_audit_tenant")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_name or 'system'}"


class ScimGroupRule(models.Model):
    """Map every pushed group whose ``displayName`` matches ``pattern`` to one host entity.

    Rules are re-evaluated when a group is pushed or renamed, and when the rule changes;
    the groups they match get ``ScimGroupMapping`` rows pointing back at the rule.
    """

    EXACT, CONTAINS, PREFIX, GLOB = "exact", "contains", "prefix", "glob"
    MATCHES = [
        (EXACT, _("is")),
        (CONTAINS, _("contains")),
        (PREFIX, _("starts with")),
        (GLOB, _("matches the wildcard pattern")),
    ]

    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="")
    match = models.CharField(_("match"), max_length=16, choices=MATCHES, default=EXACT)
    pattern = models.CharField(_("pattern"), max_length=255)
    kind = models.CharField(_("entity kind"), max_length=64)
    target_id = models.CharField(_("entity"), max_length=64)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("SCIM group mapping rule")
        verbose_name_plural = _("SCIM group mapping rules")
        ordering = ["pk"]
        indexes = [models.Index(fields=["tenant_id", "kind"], name="scim_rule_tenant")]

    def __str__(self) -> str:
        return f"displayName {self.match} {self.pattern!r} -> {self.kind}:{self.target_id}"


class ScimGroupMapping(models.Model):
    """A pushed group mapped to one host entity (a registered mappable: a team...).

    ``rule`` is None for a mapping the admin made directly, else the rule that made it;
    a group may be mapped to the same entity both ways (two rows, one effect).
    """

    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="")
    group = models.ForeignKey(ScimGroup, on_delete=models.CASCADE, related_name="mappings")
    kind = models.CharField(_("entity kind"), max_length=64)
    target_id = models.CharField(_("entity"), max_length=64)
    rule = models.ForeignKey(
        ScimGroupRule, null=True, blank=True, on_delete=models.CASCADE, related_name="mappings"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("SCIM group mapping")
        verbose_name_plural = _("SCIM group mappings")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "kind", "target_id"],
                condition=models.Q(rule__isnull=True),
                name="scim_mapping_unique_direct",
            ),
            models.UniqueConstraint(
                fields=["group", "kind", "target_id", "rule"],
                condition=models.Q(rule__isnull=False),
                name="scim_mapping_unique_rule",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant_id", "kind", "target_id"], name="scim_mapping_target"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} -> {self.kind}:{self.target_id}"


class ScimDomain(models.Model):
    """An email domain a tenant claims, and whether it proved it (docs/tenants.md).

    With ``DOMAIN_POLICY = "verified"`` a tenant's token provisions logins and primary
    emails in its verified domains only. A domain is verified by a DNS TXT record
    ``scim-domain-verification=<challenge>`` on the domain (``scim_provider.domains``), or
    by staff (admin, ``scim_domains --verified``). Several tenants may claim a domain; one
    only may have it verified.
    """

    DNS, STAFF = "dns", "staff"
    METHODS = [(DNS, _("DNS TXT record")), (STAFF, _("staff"))]

    tenant_id = models.CharField(_("tenant"), max_length=64, blank=True, default="")
    domain = models.CharField(_("domain"), max_length=253)
    challenge = models.CharField(_("challenge"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True, editable=False)
    verified_by = models.CharField(
        _("verified by"), max_length=16, choices=METHODS, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("SCIM domain")
        verbose_name_plural = _("SCIM domains")
        ordering = ["domain", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "domain"], name="scim_domain_unique"),
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(verified_at__isnull=False),
                name="scim_domain_verified_once",
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None
