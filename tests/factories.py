"""factory-boy factories: host users, their SCIM links, and SCIM request bodies.

They work with whichever user model is active (``auth.User`` or ``testapp.Member``):
fields the model lacks are dropped, and the username goes to ``USERNAME_FIELD``.
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from scim_provider import multivalued
from scim_provider.adapters import get_user_adapter
from scim_provider.models import ScimUser
from tests.testapp.models import Organization

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_field_names() -> set[str]:
    return {field.name for field in get_user_model()._meta.get_fields()}


class UserFactory(factory.django.DjangoModelFactory):
    """A host user (not linked to SCIM). ``username`` goes to ``USERNAME_FIELD``."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"host.user{n}@example.com")
    email = factory.LazyAttribute(lambda o: o.username if "@" in o.username else "")
    first_name = "Host"
    last_name = "User"
    is_active = True
    password = factory.django.Password("pw")

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        model = cls._meta.model
        names = user_field_names()
        username = kwargs.pop("username")
        kwargs[model.USERNAME_FIELD] = username
        if model.USERNAME_FIELD == "email":
            kwargs.pop("email", None)
            kwargs["email"] = username
        full_name = f"{kwargs.get('first_name', '')} {kwargs.get('last_name', '')}".strip()
        if "full_name" in names:
            kwargs.setdefault("full_name", full_name)
        return {key: value for key, value in kwargs.items() if key in names}


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")


class ScimUserFactory(factory.django.DjangoModelFactory):
    """A provisioned user: a host user and its SCIM link, as a POST would leave them."""

    class Meta:
        model = ScimUser
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    tenant_id = ""
    user_name = factory.LazyAttribute(lambda o: o.user.get_username())
    user_name_key = factory.LazyAttribute(lambda o: o.user.get_username().lower())
    email_key = factory.LazyAttribute(lambda o: (o.user.email or "").lower())
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    attributes = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def multi_values(link, create, extracted, **kwargs):
        """Its emails (the host's) where filters find them, as a POST leaves them."""
        if create:
            multivalued.sync_values(get_user_adapter(link.tenant_id), link, created=True)


class UserBodyFactory(factory.DictFactory):
    """An Okta-style POST /Users body."""

    schemas = factory.LazyFunction(lambda: [USER_URN])
    userName = factory.Sequence(lambda n: f"test.user{n}@okta.local")
    name = factory.LazyFunction(lambda: {"givenName": "Test", "familyName": "User"})
    emails = factory.LazyAttribute(
        lambda o: [{"primary": True, "value": o.userName, "type": "work"}]
    )
    displayName = "Test User"
    externalId = factory.Sequence(lambda n: f"00ujl29u0le5T6Aj{n:04d}")
    active = True


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}
