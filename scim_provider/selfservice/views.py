"""Self-service pages: server-rendered, overridable templates (docs/selfservice.md).

Every page checks ``SELF_SERVICE_PERMISSION`` for the tenant ``SELF_SERVICE_TENANT`` finds;
GET never changes anything; every POST is CSRF-protected and audited. No page is cached
(some show a token's secret) nor shown in a frame (``X-Frame-Options: DENY``, which Django's
clickjacking middleware keeps).
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_protect

from .. import domains, services
from ..conf import scim_settings
from ..models import (
    ScimGroupMapping,
    ScimGroupRule,
    ScimTenantSettings,
    get_tenant_model,
    tenant_key,
)
from . import access, groupmaps, mappables
from .context import Urls, authorize, scim_base_url
from .forms import (
    ActivityFilterForm,
    DomainForm,
    MappingForm,
    RuleForm,
    TokenCreateForm,
    split_target,
)

TEMPLATES = "scim_provider/selfservice/"


@method_decorator([csrf_protect, never_cache, xframe_options_deny], name="dispatch")
class SelfServiceView(View):
    """Base of the pages: authorization, the tenant, and the shared template context."""

    template_name = ""
    section = ""

    def dispatch(self, request, *args, **kwargs):
        try:
            self.tenant = authorize(request)
        except PermissionDenied:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise
        except access.NoTenant:
            # A superuser who named no tenant: choose one (where the URL does not name it).
            picker = tenant_picker_url(request)
            named = request.GET.get(access.TENANT_PARAMETER)
            if request.method in ("GET", "HEAD") and picker and not named:
                return HttpResponseRedirect(picker)
            raise
        self.tenant_id = tenant_key(self.tenant)
        self.urls = Urls(request, self.tenant)
        self.actor = services.Actor.from_request(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **extra):
        return {
            "tenant": self.tenant,
            "tenant_id": self.tenant_id,
            "section": self.section,
            "scim_enabled": services.scim_enabled(self.tenant_id),
            "base_url": scim_base_url(self.request),
            "basic_username": scim_settings.BASIC_AUTH_USERNAME,
            "nav": [
                ("overview", _("Overview"), self.urls("overview")),
                ("setup", _("Set up your identity provider"), self.urls("setup")),
                ("tokens", _("Tokens"), self.urls("tokens")),
                ("domains", _("Domains"), self.urls("domains")),
                ("activity", _("Activity"), self.urls("activity")),
                ("groups", _("Group mappings"), self.urls("groups")),
                ("audit", _("Audit log"), self.urls("audit")),
            ],
            "links": {
                **{
                    name.replace("-", "_"): self.urls(name)
                    for name in (
                        "overview",
                        "enable",
                        "setup",
                        "tokens",
                        "domains",
                        "activity",
                        "audit",
                        "groups",
                        "rule-add",
                    )
                },
                "tenants": tenant_picker_url(self.request)
                if access._is_superuser(self.request)
                else None,
            },
            **extra,
        }

    def render(self, template: str | None = None, status: int = 200, **extra):
        return render(
            self.request,
            TEMPLATES + (template or self.template_name),
            self.get_context_data(**extra),
            status=status,
        )

    def redirect(self, name: str, **kwargs):
        return HttpResponseRedirect(self.urls(name, **kwargs))


def tenant_picker_url(request) -> str | None:
    """The tenant picker of this mount, when there is one: multi-tenant, and the URL does
    not name the tenant (``tenant`` kwarg). None otherwise."""
    match = request.resolver_match
    if get_tenant_model() is None or match is None:
        return None
    if access.TENANT_PARAMETER in match.kwargs:
        return None
    try:
        return reverse(f"{match.namespace}:tenants", kwargs=match.kwargs)
    except NoReverseMatch:
        return None


@method_decorator([csrf_protect, never_cache, xframe_options_deny], name="dispatch")
class TenantPickerView(View):
    """The tenants a superuser may open, with search and pages (``tenants/``).

    Only active superusers see it (others get 403, anonymous visitors the login page), and
    only the tenants ``SELF_SERVICE_PERMISSION`` allows them are listed. Each links to the
    tenant's overview with ``?tenant=<pk>``. Override ``search_fields`` (default: the text
    fields of ``TENANT_MODEL``), ``get_queryset()`` or ``tenant_url()`` in a subclass.
    """

    template_name = TEMPLATES + "tenants.html"
    search_fields: list[str] | None = None
    #: Names of ``TENANT_MODEL`` fields searched when ``search_fields`` is None.
    search_field_types = (models.CharField, models.TextField)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not access._is_superuser(request):
            raise PermissionDenied(_("You may not manage SCIM here."))
        self.model = get_tenant_model()
        if self.model is None:
            raise Http404(_("There are no tenants: SCIM_PROVIDER['TENANT_MODEL'] is not set."))
        if tenant_picker_url(request) is None:  # the URL names the tenant
            raise Http404(_("The tenant is in the URL here."))
        return super().dispatch(request, *args, **kwargs)

    def get_search_fields(self) -> list[str]:
        if self.search_fields is not None:
            return list(self.search_fields)
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if isinstance(f, self.search_field_types)
        ]

    def get_queryset(self, query: str) -> models.QuerySet:
        tenants = self.model._default_manager.all()
        if not tenants.query.order_by and not self.model._meta.ordering:
            tenants = tenants.order_by("pk")
        if query:
            condition = models.Q()
            for name in self.get_search_fields():
                condition |= models.Q(**{f"{name}__icontains": query})
            with contextlib.suppress(ValidationError, TypeError, ValueError):  # not a key
                condition |= models.Q(pk=self.model._meta.pk.to_python(query))
            tenants = tenants.filter(condition) if condition else tenants.none()
        return tenants

    def allowed_tenants(self, tenants: models.QuerySet):
        """The tenants the permission hook allows; the default hook (superusers) allows all,
        without asking it once per tenant."""
        if scim_settings.SELF_SERVICE_PERMISSION is access.can_manage_scim:
            return tenants
        return [t for t in tenants.iterator() if access.allowed(self.request, t)]

    def tenant_url(self, tenant) -> str:
        match = self.request.resolver_match
        url = reverse(f"{match.namespace}:overview", kwargs=match.kwargs)
        return f"{url}?{urlencode({access.TENANT_PARAMETER: tenant_key(tenant)})}"

    def get(self, request, **kwargs):
        query = request.GET.get("q", "").strip()[:200]
        page = Paginator(
            self.allowed_tenants(self.get_queryset(query)), scim_settings.SELF_SERVICE_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        tenants = list(page.object_list)
        keys = [tenant_key(t) for t in tenants]
        switched = dict(
            ScimTenantSettings.objects.filter(tenant_id__in=keys).values_list(
                "tenant_id", "enabled"
            )
        )
        for tenant, key in zip(tenants, keys, strict=True):
            tenant.scim_url = self.tenant_url(tenant)
            tenant.scim_key = key
            tenant.scim_enabled = switched.get(key, scim_settings.TENANT_ENABLED_BY_DEFAULT)

        def page_url(number):
            return "?" + urlencode({k: v for k, v in (("q", query), ("page", number)) if v})

        return render(
            request,
            self.template_name,
            {
                "tenant": None,
                "tenants": tenants,
                "page": page,
                "query": query,
                "verbose_name": self.model._meta.verbose_name,
                "verbose_name_plural": self.model._meta.verbose_name_plural,
                "previous_url": page_url(page.previous_page_number())
                if page.has_previous()
                else None,
                "next_url": page_url(page.next_page_number()) if page.has_next() else None,
            },
        )


class OverviewView(SelfServiceView):
    template_name = "overview.html"
    section = "overview"

    def get(self, request, **kwargs):
        return self.render(
            counts=services.tenant_counts(self.tenant_id),
            active_tokens=services.tenant_tokens(self.tenant_id, include_revoked=False).count(),
            recent_errors=services.tenant_requests(self.tenant_id, errors_only=True)[:5],
        )


class EnableView(SelfServiceView):
    """POST ``enabled=1|0``: the tenant's SCIM switch."""

    def post(self, request, **kwargs):
        enabled = request.POST.get("enabled") == "1"
        if services.set_scim_enabled(self.tenant_id, enabled, actor=self.actor):
            messages.success(
                request,
                _("SCIM provisioning is enabled.")
                if enabled
                else _(
                    "SCIM provisioning is disabled: your identity provider's requests are refused."
                ),
            )
        return self.redirect("overview")


class SetupView(SelfServiceView):
    template_name = "setup.html"
    section = "setup"

    def get(self, request, **kwargs):
        return self.render()


class TokenListView(SelfServiceView):
    template_name = "tokens.html"
    section = "tokens"

    def get(self, request, **kwargs):
        return self.render(form=TokenCreateForm())

    def render(self, template=None, status=200, **extra):
        tokens = list(services.tenant_tokens(self.tenant_id))
        rotated = services.rotated_token_pks(token.pk for token in tokens)
        for token in tokens:
            token.rotated = str(token.pk) in rotated  # rotated once: no second rotation
            token.rotate_url = self.urls("token-rotate", pk=token.pk)
            token.revoke_url = self.urls("token-revoke", pk=token.pk)
        return super().render(template, status, tokens=tokens, **extra)

    def post(self, request, **kwargs):
        form = TokenCreateForm(request.POST)
        if not form.is_valid():
            return self.render(form=form, status=400)
        token, plaintext = services.create_token(
            form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            tenant=self.tenant,
            created_by=self.actor.user,
            actor=self.actor,
        )
        return self.render("token_secret.html", token=token, plaintext=plaintext)


class TokenActionView(SelfServiceView):
    """GET shows a confirmation page; POST acts. ``action`` is ``rotate`` or ``revoke``."""

    action = ""
    section = "tokens"

    def get_token(self, pk):
        try:
            return services.get_tenant_token(self.tenant_id, pk)
        except services.TokenNotFound:
            raise Http404(_("No such token.")) from None

    def get(self, request, pk, **kwargs):
        token = self.get_token(pk)
        return self.render(
            f"token_{self.action}.html",
            token=token,
            action_url=self.urls(f"token-{self.action}", pk=token.pk),
            grace_hours=round(scim_settings.TOKEN_ROTATION_GRACE_SECONDS / 3600, 1),
        )

    def post(self, request, pk, **kwargs):
        token = self.get_token(pk)
        if self.action == "revoke":
            if services.revoke(token, actor=self.actor):
                messages.success(
                    request, _("Token %(prefix)s… revoked.") % {"prefix": token.display_prefix}
                )
            return self.redirect("tokens")
        try:
            new, plaintext = services.rotate_token(token, actor=self.actor)
        except services.TokenNotUsable as exc:
            messages.error(request, str(exc))
            return self.redirect("tokens")
        return self.render(
            "token_secret.html", token=new, plaintext=plaintext, previous=token, rotated=True
        )


class DomainsView(SelfServiceView):
    """The tenant's email domains (``DOMAIN_POLICY``): POST ``domain`` claims one and shows
    the DNS TXT record that proves it."""

    template_name = "domains.html"
    section = "domains"

    def get(self, request, **kwargs):
        return self.render(form=DomainForm())

    def render(self, template=None, status=200, **extra):
        rows = list(domains.tenant_domains(self.tenant_id))
        for row in rows:
            row.txt_record = domains.txt_record(row)
            row.verify_url = self.urls("domain-verify", pk=row.pk)
            row.remove_url = self.urls("domain-remove", pk=row.pk)
        return super().render(
            template,
            status,
            domains=rows,
            enforced=domains.policy_applies(self.tenant_id),
            **extra,
        )

    def post(self, request, **kwargs):
        form = DomainForm(request.POST)
        if not form.is_valid():
            return self.render(form=form, status=400)
        row = domains.add_domain(self.tenant_id, form.cleaned_data["domain"], actor=self.actor)
        messages.success(
            request,
            _("%(domain)s added: publish its TXT record, then verify it.") % {"domain": row},
        )
        return self.redirect("domains")


class DomainActionView(SelfServiceView):
    """POST: ``verify`` (look the TXT record up now) or ``remove`` a domain."""

    action = ""
    section = "domains"

    def post(self, request, pk, **kwargs):
        try:
            row = domains.get_domain(self.tenant_id, pk)
        except domains.DomainError:
            raise Http404(_("No such domain.")) from None
        if self.action == "remove":
            domains.remove_domain(row, actor=self.actor)
            messages.success(request, _("%(domain)s removed.") % {"domain": row})
            return self.redirect("domains")
        try:
            domains.verify_domain(row, actor=self.actor)
        except domains.DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(domain)s is verified.") % {"domain": row})
        return self.redirect("domains")


class ActivityView(SelfServiceView):
    template_name = "activity.html"
    section = "activity"

    def get(self, request, **kwargs):
        form = ActivityFilterForm(request.GET or None)
        rows = form.requests(self.tenant_id)
        page = Paginator(rows, scim_settings.SELF_SERVICE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = {k: v for k, v in form.filters.items() if v}
        return self.render(
            form=form,
            page=page,
            previous_url=self.urls("activity", {**query, "page": page.previous_page_number()})
            if page.has_previous()
            else None,
            next_url=self.urls("activity", {**query, "page": page.next_page_number()})
            if page.has_next()
            else None,
            request_log_mode=scim_settings.REQUEST_LOG,
        )


class AuditView(SelfServiceView):
    template_name = "audit.html"
    section = "audit"

    def get(self, request, **kwargs):
        entries = services.tenant_audit_log(self.tenant_id)
        page = Paginator(entries, scim_settings.SELF_SERVICE_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return self.render(
            page=page,
            previous_url=self.urls("audit", {"page": page.previous_page_number()})
            if page.has_previous()
            else None,
            next_url=self.urls("audit", {"page": page.next_page_number()})
            if page.has_next()
            else None,
        )


class GroupsView(SelfServiceView):
    """The pushed groups, their mappings, the rules; POST ``add-mapping``/``add-rule``."""

    template_name = "groups.html"
    section = "groups"

    def get(self, request, **kwargs):
        return self.render()

    def render(self, template=None, status=200, **extra):
        from django.db.models import Count

        groups = list(
            groupmaps.tenant_groups(self.tenant_id).annotate(member_count=Count("memberships"))
        )
        labels = self.entity_labels()
        by_group: dict[int, list] = {g.pk: [] for g in groups}
        for mapping in ScimGroupMapping.objects.filter(group__in=groups).select_related("rule"):
            mapping.target_label = labels.get((mapping.kind, mapping.target_id), mapping.target_id)
            mapping.kind_label = getattr(mappables.get(mapping.kind), "label", mapping.kind)
            mapping.remove_url = self.urls("mapping-remove", pk=mapping.pk)
            by_group[mapping.group_id].append(mapping)
        for group in groups:
            group.mapping_list = by_group[group.pk]
            group.add_url = self.urls("mapping-add", group=group.pk)
            group.form = MappingForm(tenant_id=self.tenant_id, prefix=f"g{group.pk}")
        rules = list(ScimGroupRule.objects.filter(tenant_id=self.tenant_id))
        for rule in rules:
            rule.target_label = labels.get((rule.kind, rule.target_id), rule.target_id)
            rule.kind_label = getattr(mappables.get(rule.kind), "label", rule.kind)
            rule.remove_url = self.urls("rule-remove", pk=rule.pk)
        extra.setdefault("rule_form", RuleForm(tenant_id=self.tenant_id))
        return super().render(
            template,
            status,
            groups=groups,
            rules=rules,
            mappables=mappables.all_mappables(),
            **extra,
        )

    def entity_labels(self) -> dict[tuple[str, str], str]:
        labels = {}
        for mappable in mappables.all_mappables():
            for entity in mappable.entities(self.tenant_id)[:500]:
                labels[(mappable.kind, str(entity.pk))] = str(entity)
        return labels


class MappingAddView(GroupsView):
    def post(self, request, group, **kwargs):
        try:
            scim_group = groupmaps.get_group(self.tenant_id, group)
        except groupmaps.MappingError:
            raise Http404(_("No such group.")) from None
        form = MappingForm(request.POST, tenant_id=self.tenant_id, prefix=f"g{scim_group.pk}")
        if not form.is_valid():
            messages.error(request, _("Choose what to map the group to."))
            return self.redirect("groups")
        kind, target_id = split_target(form.cleaned_data["target"])
        try:
            _mapping, created = groupmaps.map_group(
                self.tenant_id, scim_group, kind, target_id, actor=self.actor
            )
        except groupmaps.MappingError as exc:
            messages.error(request, str(exc))
        else:
            if created:
                messages.success(request, _("Mapping added; the group's members were added."))
        return self.redirect("groups")


class MappingRemoveView(GroupsView):
    def post(self, request, pk, **kwargs):
        try:
            groupmaps.unmap_group(self.tenant_id, pk, actor=self.actor)
        except groupmaps.MappingError:
            raise Http404(_("No such mapping.")) from None
        messages.success(request, _("Mapping removed."))
        return self.redirect("groups")


class RuleAddView(GroupsView):
    def post(self, request, **kwargs):
        form = RuleForm(request.POST, tenant_id=self.tenant_id)
        if not form.is_valid():
            return self.render(rule_form=form, status=400)
        kind, target_id = split_target(form.cleaned_data["target"])
        try:
            groupmaps.add_rule(
                self.tenant_id,
                form.cleaned_data["match"],
                form.cleaned_data["pattern"],
                kind,
                target_id,
                actor=self.actor,
            )
        except groupmaps.MappingError as exc:
            form.add_error(None, str(exc))
            return self.render(rule_form=form, status=400)
        messages.success(request, _("Rule added and applied to the matching groups."))
        return self.redirect("groups")


class RuleRemoveView(GroupsView):
    def post(self, request, pk, **kwargs):
        try:
            groupmaps.remove_rule(self.tenant_id, pk, actor=self.actor)
        except groupmaps.MappingError:
            raise Http404(_("No such rule.")) from None
        messages.success(request, _("Rule removed."))
        return self.redirect("groups")
