"""Helpers of the Groups tests (``test_groups_*.py``): bodies, seeding, reading memberships.

Big groups are seeded with ``bulk_create`` (host users, their ``ScimUser`` links, the
``ScimMembership`` rows and the host group's many-to-many rows), never over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models

from scim_provider import multivalued
from scim_provider.adapters import get_user_adapter
from scim_provider.models import ScimGroup, ScimMembership, ScimUser
from tests.conftest import SCIM
from tests.factories import PATCH_URN

GROUPS = f"{SCIM}/Groups"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
MEMBERSHIP_TABLE = ScimMembership._meta.db_table


def group_body(display_name: str = "Test SCIMv2", members: Iterable[Any] = (), **extra) -> dict:
    """An Okta push body; ``members`` are SCIM user ids or member dicts."""
    return {
        "schemas": [GROUP_URN],
        "displayName": display_name,
        "members": [m if isinstance(m, dict) else {"value": str(m)} for m in members],
        **extra,
    }


def create_group(client, display_name: str = "Test SCIMv2", members=(), **extra) -> dict:
    """POST a group; return the 201 body."""
    response = client.post(GROUPS, group_body(display_name, members, **extra), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def patch(client, group_id: str, *operations: dict, **params):
    """PATCH ``/Groups/{group_id}`` with ``operations`` (query string from ``params``)."""
    url = f"{GROUPS}/{group_id}"
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    body = {"schemas": [PATCH_URN], "Operations": list(operations)}
    return client.patch(url, body, format="json")


def make_users(count: int, tenant_id: str = "", prefix: str = "member") -> list[ScimUser]:
    """``count`` provisioned users (host user + ``ScimUser``), with two bulk inserts."""
    model = get_user_model()
    names = {field.name for field in model._meta.get_fields()}
    password = make_password(None)
    start = ScimUser.objects.count()
    hosts = []
    for n in range(start, start + count):
        login = f"{prefix}{n}.{tenant_id or 'default'}@example.com"
        values = {model.USERNAME_FIELD: login, "password": password}
        if "email" in names:
            values["email"] = login
        hosts.append(model(**values))
    hosts = model._default_manager.bulk_create(hosts)
    links = [
        ScimUser(
            user=host,
            tenant_id=tenant_id,
            user_name=host.get_username(),
            user_name_key=host.get_username().lower(),
            email_key=host.get_username().lower(),
        )
        for host in hosts
    ]
    links = ScimUser.objects.bulk_create(links)
    multivalued.sync_links(get_user_adapter(tenant_id), links)
    return links


def host_m2m(group_model: type[models.Model]) -> tuple[type[models.Model], str, str]:
    """``(through model, group field attname, user field attname)`` of the host relation."""
    user_model = get_user_model()
    for m2m in group_model._meta.many_to_many:
        if m2m.related_model is user_model:
            return m2m.remote_field.through, m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
    for m2m in user_model._meta.many_to_many:
        if m2m.related_model is group_model:
            return m2m.remote_field.through, m2m.m2m_reverse_field_name(), m2m.m2m_field_name()
    raise LookupError(f"{group_model} has no many-to-many with the user model")


def seed_members(group_id: str, users: Sequence[ScimUser], group_model: str = "auth.Group"):
    """Make ``users`` members of the group ``group_id`` as if pushed: bulk inserts."""
    link = ScimGroup.objects.get(scim_id=group_id)
    ScimMembership.objects.bulk_create(
        [ScimMembership(group=link, user=user) for user in users], batch_size=1000
    )
    if link.host_group_id and group_model:
        through, group_field, user_field = host_m2m(apps.get_model(group_model))
        through._default_manager.bulk_create(
            [
                through(**{f"{group_field}_id": link.host_group_id, f"{user_field}_id": u.user_id})
                for u in users
            ],
            batch_size=1000,
        )


def member_ids(group_id: str) -> set[str]:
    """SCIM ids of the members of the group ``group_id``, from the database."""
    rows = ScimMembership.objects.filter(group__scim_id=group_id).values_list(
        "user__scim_id", flat=True
    )
    return {str(v) for v in rows}


def host_group(group_id: str, group_model: str = "auth.Group") -> models.Model:
    link = ScimGroup.objects.get(scim_id=group_id)
    return apps.get_model(group_model)._default_manager.get(pk=link.host_group_id)


def host_member_ids(group_id: str, group_model: str = "auth.Group") -> set[int]:
    """Primary keys of the host users in the mirrored host group of ``group_id``."""
    link = ScimGroup.objects.get(scim_id=group_id)
    through, group_field, user_field = host_m2m(apps.get_model(group_model))
    rows = through._default_manager.filter(**{f"{group_field}_id": link.host_group_id})
    return set(rows.values_list(f"{user_field}_id", flat=True))


def user_pks(scim_ids: Iterable[str]) -> set[int]:
    """Host user primary keys behind SCIM user ids."""
    return set(
        ScimUser.objects.filter(scim_id__in=list(scim_ids)).values_list("user_id", flat=True)
    )


def ids(users: Iterable[ScimUser]) -> list[str]:
    return [str(u.scim_id) for u in users]
