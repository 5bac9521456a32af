"""Django admin for SCIM tokens: the secret is shown once, on the page after creation.

The change page shows the token's non-secret prefix and its state; the secret
cannot be seen again. Tokens are revoked (an action), never edited back to life.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import domains, services
from .conf import scim_settings
from .models import ScimDomain, ScimRequestLog, ScimUser, get_tenant_model, get_token_model

ScimToken = get_token_model()


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request, queryset):
        from django.db.models import Q
        from django.utils import timezone

        now = timezone.now()
        expired = Q(expires_at__isnull=False, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(expired, revoked_at__isnull=True)
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True).exclude(expired)
        return queryset


class TenantChoiceForm(forms.ModelForm):
    """A model form whose ``tenant_id`` is chosen among the rows of ``TENANT_MODEL``."""

    tenant_help = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant_model = get_tenant_model()
        if "tenant_id" not in self.fields:
            return
        if tenant_model is None:
            del self.fields["tenant_id"]
        else:
            choices = [("", "---------")] + [
                (str(t.pk), str(t)) for t in tenant_model._default_manager.all()[:1000]
            ]
            self.fields["tenant_id"] = forms.ChoiceField(
                label=tenant_model._meta.verbose_name.capitalize(),
                choices=choices,
                required=False,
                help_text=self.tenant_help,
            )


class ScimTokenForm(TenantChoiceForm):
    tenant_help = _("Confine this token to one tenant's users and groups.")

    class Meta:
        model = ScimToken
        fields = ["name", "expires_at", "tenant_id"]


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    form = ScimTokenForm
    list_display = [
        "name",
        "display_prefix",
        "tenant_id",
        "status",
        "created_at",
        "last_used_at",
        "expires_at",
    ]
    list_filter = [StatusFilter, "created_at"]
    search_fields = ["name", "display_prefix", "tenant_id"]
    readonly_fields = [
        "display_prefix",
        "status",
        "created_at",
        "created_by",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    ]
    actions = ["revoke_tokens"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "expires_at"] + (["tenant_id"] if get_tenant_model() else [])
        return ["name", "tenant_id", "expires_at", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "tenant_id"]

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.status

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # Created by the service layer, like everywhere else: audited and announced.
        token, request._scim_token_plaintext = services.create_token(
            obj.name,
            expires_at=obj.expires_at,
            tenant=obj.tenant_id or None,
            actor=services.Actor.from_request(request),
        )
        obj.pk = token.pk
        obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None):
        plaintext = getattr(request, "_scim_token_plaintext", None)
        if plaintext is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "plaintext": plaintext,
            "base_url": request.build_absolute_uri(_scim_base_path()),
            "basic_username": scim_settings.BASIC_AUTH_USERNAME,
            "title": _("SCIM token created"),
        }
        response = TemplateResponse(request, "admin/scim_provider/token_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        actor = services.Actor.from_request(request)
        revoked = sum(1 for token in queryset if services.revoke(token, actor=actor))
        self.message_user(
            request,
            ngettext("Revoked %d token.", "Revoked %d tokens.", revoked) % revoked,
            messages.SUCCESS,
        )


def _scim_base_path() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        config_url = reverse("scim_provider:service-provider-config")
    except NoReverseMatch:
        return "/"
    return config_url.rsplit("ServiceProviderConfig", 1)[0]


# The request log and per-user provisioning history (docs/security.md) ----------------


class StatusClassFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status_class"

    def lookups(self, request, model_admin):
        return [("2xx", _("Success (2xx, 3xx)")), ("4xx", _("Refused (4xx)")), ("5xx", "5xx")]

    def queryset(self, request, queryset):
        bounds = {"2xx": (200, 399), "4xx": (400, 499), "5xx": (500, 599)}.get(self.value())
        return queryset.filter(status__range=bounds) if bounds else queryset


class FixedValuesFilter(admin.SimpleListFilter):
    """A filter over known values, so that the changelist runs no ``SELECT DISTINCT``."""

    field: str = ""
    values: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class MethodFilter(FixedValuesFilter):
    title, parameter_name, field = _("method"), "method", "method"
    values = ("GET", "POST", "PUT", "PATCH", "DELETE")


class ResourceTypeFilter(FixedValuesFilter):
    title, parameter_name, field = _("resource type"), "resource", "resource_type"
    values = ("User", "Group")


def _pretty_json(value) -> str:
    import json

    from django.utils.html import format_html

    if value is None:
        return "-"
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added or edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScimRequestLog)
class ScimRequestLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "method",
        "path",
        "status",
        "scim_type",
        "resource_type",
        "resource_id",
        "token_prefix",
        "tenant_id",
        "duration_ms",
    ]
    list_filter = [
        StatusClassFilter,
        MethodFilter,
        ResourceTypeFilter,
        "token_prefix",
        "tenant_id",
        "created_at",
    ]
    search_fields = ["path", "query", "resource_id", "token_prefix", "scim_type", "error_detail"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "created_at",
        "method",
        "path",
        "query",
        "status",
        "duration_ms",
        "scim_type",
        "error_detail",
        "resource_type",
        "resource_id",
        "token_prefix",
        "token_pk",
        "tenant_id",
        "client_ip",
        "body",
    ]
    readonly_fields = fields

    @admin.display(description=_("request body (redacted)"))
    def body(self, obj):
        return _pretty_json(obj.request_body)


def _summary(entry) -> str:
    """What a logged request changed, in one line: its PATCH operations or its verb."""
    body = entry.request_body
    if isinstance(body, dict) and isinstance(body.get("Operations"), list):
        parts = []
        for operation in body["Operations"][:10]:
            if isinstance(operation, dict):
                op = str(operation.get("op", "")).lower()
                parts.append(f"{op} {operation.get('path') or '(attributes)'}")
        return ", ".join(parts)
    return {"POST": "created", "PUT": "replaced", "DELETE": "deleted"}.get(entry.method, "")


@admin.register(ScimUser)
class ScimUserAdmin(ReadOnlyAdmin):
    """Provisioned users, read-only: the SCIM side of each host user and its history."""

    list_display = ["user_name", "scim_id", "tenant_id", "external_id", "updated_at", "deleted_at"]
    list_filter = ["deleted_at", "tenant_id"]
    search_fields = ["user_name_key", "email_key", "external_id", "scim_id"]
    list_select_related = ["user"]
    fields = [
        "scim_id",
        "user",
        "user_name",
        "tenant_id",
        "external_id",
        "created_at",
        "updated_at",
        "version",
        "deleted_at",
        "attributes",
        "provisioning_history",
    ]
    readonly_fields = fields
    history_limit = 50

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Provisioning history"))
    def provisioning_history(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html, format_html_join

        from .requestlog import history

        entries = list(history(obj.scim_id)[: self.history_limit])
        if not entries:
            return _(
                "No logged requests. Set SCIM_PROVIDER['REQUEST_LOG'] to 'writes' to record "
                "every change the identity provider makes."
            )
        rows = format_html_join(
            "",
            '<tr class="scim-history-row"><td><a href="{}">{}</a></td><td>{}</td>'
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:scim_provider_scimrequestlog_change", args=[e.pk]),
                    e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    e.method,
                    e.status,
                    _summary(e),
                    e.error_detail[:200],
                    e.token_prefix,
                )
                for e in entries
            ),
        )
        listing = reverse("admin:scim_provider_scimrequestlog_changelist")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}?resource_id={}">{}</a></p>',
            _("time"),
            _("method"),
            _("status"),
            _("change"),
            _("error"),
            _("token"),
            rows,
            listing,
            obj.scim_id,
            _("All logged requests of this user"),
        )


# Verified domains of tenants (docs/tenants.md) ------------------------------------------


class ScimDomainForm(TenantChoiceForm):
    tenant_help = _("The tenant whose identity provider may provision this domain.")

    class Meta:
        model = ScimDomain
        fields = ["tenant_id", "domain"]

    def clean_domain(self) -> str:
        try:
            return domains.normalize_domain(self.cleaned_data["domain"])
        except domains.DomainError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(ScimDomain)
class ScimDomainAdmin(admin.ModelAdmin):
    """Domains claimed by tenants; staff vouch for one with *Mark verified*. Added, verified
    and removed through ``scim_provider.domains``, so that each change is audited."""

    form = ScimDomainForm
    list_display = ["domain", "tenant_id", "verified_at", "verified_by", "created_at"]
    list_filter = [("verified_at", admin.EmptyFieldListFilter), "verified_by"]
    search_fields = ["domain", "tenant_id"]
    actions = ["mark_verified"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["tenant_id", "domain"] if get_tenant_model() else ["domain"]
        return ["domain", "tenant_id", "challenge", "created_at", "verified_at", "verified_by"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return
        row = domains.add_domain(
            obj.tenant_id or "", obj.domain, actor=services.Actor.from_request(request)
        )
        obj.pk = row.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        domains.remove_domain(obj, actor=services.Actor.from_request(request))

    def delete_queryset(self, request, queryset):
        for row in queryset:
            self.delete_model(request, row)

    @admin.action(description=_("Mark selected domains verified"), permissions=["change"])
    def mark_verified(self, request, queryset):
        actor = services.Actor.from_request(request)
        for row in queryset:
            try:
                domains.mark_verified(row, ScimDomain.STAFF, actor=actor)
            except domains.DomainError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request, _("%(domain)s is verified.") % {"domain": row}, messages.SUCCESS
                )
