"""Forms of the self-service pages (the JSON API validates with the same rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import domains, services
from ..models import ScimGroupRule
from . import mappables

EXPIRY_CHOICES = [
    ("", _("Never")),
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("180", _("180 days")),
    ("365", _("1 year")),
]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        initial="Okta",
        help_text=_("Where the token is used, e.g. “Okta production”."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=_("Expires"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )


class ActivityFilterForm(forms.Form):
    OUTCOMES = [("", _("All")), ("errors", _("Errors only"))]
    METHODS = [("", _("Any"))] + [(m, m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]
    RESOURCES = [("", _("Any")), ("User", _("Users")), ("Group", _("Groups"))]

    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, required=False)
    method = forms.ChoiceField(label=_("Method"), choices=METHODS, required=False)
    resource_type = forms.ChoiceField(label=_("Resource"), choices=RESOURCES, required=False)
    status = forms.IntegerField(label=_("Status"), min_value=100, max_value=599, required=False)

    @property
    def filters(self) -> dict:
        """The valid filters given (none for an unbound or invalid form)."""
        return self.cleaned_data if self.is_bound and self.is_valid() else {}

    def requests(self, tenant_id: str):
        """The tenant's logged requests narrowed by this form's filters."""
        filters = self.filters
        return services.tenant_requests(
            tenant_id,
            errors_only=filters.get("outcome") == "errors",
            method=filters.get("method") or None,
            status=filters.get("status") or None,
            resource_type=filters.get("resource_type") or None,
        )


def target_choices(tenant_id: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped ``<select>`` choices: ``kind:pk`` of every entity the tenant may map to."""
    groups = []
    for mappable in mappables.all_mappables():
        entities = mappable.entities(tenant_id)[:500]
        options = [(f"{mappable.kind}:{e.pk}", str(e)) for e in entities]
        if options:
            groups.append((mappable.label, options))
    return groups


def split_target(value: str) -> tuple[str, str]:
    kind, _, target_id = (value or "").partition(":")
    return kind, target_id


class MappingForm(forms.Form):
    target = forms.ChoiceField(label=_("Map to"))

    def __init__(self, *args, tenant_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = target_choices(tenant_id)


class RuleForm(forms.Form):
    match = forms.ChoiceField(
        label=_("Group name"), choices=ScimGroupRule.MATCHES, initial=ScimGroupRule.CONTAINS
    )
    pattern = forms.CharField(
        label=_("Pattern"),
        max_length=255,
        help_text=_("Case-insensitive. Wildcards: * any text, ? one character."),
    )
    target = forms.ChoiceField(label=_("Map to"))

    def __init__(self, *args, tenant_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = target_choices(tenant_id)


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"),
        max_length=253,
        help_text=_("The part after the @ of your people's email addresses, e.g. example.com."),
    )

    def clean_domain(self) -> str:
        try:
            return domains.normalize_domain(self.cleaned_data["domain"])
        except domains.DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
