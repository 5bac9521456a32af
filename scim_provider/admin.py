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

from .conf import scim_settings
from .models import get_tenant_model, get_token_model

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


class ScimTokenForm(forms.ModelForm):
    class Meta:
        model = ScimToken
        fields = ["name", "expires_at", "tenant_id"]

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
                help_text=_("Confine this token to one tenant's users and groups."),
            )


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
        if not change:
            obj.created_by = request.user if request.user.is_authenticated else None
            request._scim_token_plaintext = obj.set_new_secret()
        super().save_model(request, obj, form, change)

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
        revoked = sum(1 for token in queryset if token.revoke())
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
