"""Which host account a tenant's identity provider may claim (docs/tenants.md).

* **One login, one account**: a ``userName`` is folded as the host model folds logins
  (``normalize_username``: Unicode NFKC for Django's user models, so ``ｒｏｏｔ`` is ``root``)
  before any uniqueness check or lookup, and stored folded: the login the person types,
  which the host's own forms fold the same way.
* **Adoption never crosses a line**: ``MATCH_EXISTING_USERS`` and ``scim_link_users`` adopt
  only what the adapter's ``adoption_refusal(user)`` hook allows. By default it refuses
  staff and superuser accounts and, with ``DOMAIN_POLICY = "verified"``, a user whose
  login or email is outside the tenant's verified domains. Users already linked (in any
  tenant: a host user has at most one link) are never candidates.

The users adapter calls these functions; hosts override its methods, not these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from . import domains
from .conf import scim_settings
from .mapping import get_value

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.users import UserAdapter

#: Candidates looked at per lookup (``userName``, email) when the first ones are refused.
MAX_CANDIDATES = 10


def normalize_login(model: type[models.Model], resource: dict[str, Any]) -> None:
    """Fold ``resource``'s ``userName`` in place with ``model.normalize_username``."""
    user_name = resource.get("userName")
    normalize = getattr(model, "normalize_username", None)
    if isinstance(user_name, str) and callable(normalize):
        resource["userName"] = normalize(user_name)


def adoption_refusal(adapter: UserAdapter, user: models.Model) -> str | None:
    """Default ``UserAdapter.adoption_refusal``: why the adapter's tenant may not adopt
    ``user``, or None when it may."""
    if getattr(user, "is_superuser", False):
        return "a superuser account"
    if getattr(user, "is_staff", False):
        return "a staff account"
    if domains.policy_applies(adapter.tenant_id):
        email_field = user.get_email_field_name()
        addresses = [("login", user.get_username())]
        if getattr(user, email_field, None):
            addresses.append(("email", getattr(user, email_field)))
        for what, address in addresses:
            if domains.domain_of(address) not in domains.adapter_domains(adapter):
                return f"its {what} is outside the verified domains"
    return None


def match_existing_user(adapter: UserAdapter, resource: dict[str, Any]) -> models.Model | None:
    """Default ``UserAdapter.match_existing_user``: the first unlinked user of
    ``get_user_queryset()`` whose login (then email) matches ``resource`` case-insensitively
    and that ``adoption_refusal`` allows, or None."""
    match_on = scim_settings.MATCH_EXISTING_USERS
    model = adapter.model
    lookups = []
    if "userName" in match_on and resource.get("userName"):
        lookups.append({f"{model.USERNAME_FIELD}__iexact": resource["userName"]})
    email = get_value(resource, domains.PRIMARY_EMAIL)
    if "email" in match_on and email:
        lookups.append({f"{model.get_email_field_name()}__iexact": email})
    candidates = adapter.get_user_queryset().filter(scim_link__isnull=True).order_by("pk")
    for lookup in lookups:
        for user in candidates.filter(**lookup)[:MAX_CANDIDATES]:
            if adapter.adoption_refusal(user) is None:
                return user
    return None
