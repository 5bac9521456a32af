"""Adapters: the only place where SCIM resources become writes to the host's models.

``UserAdapter`` turns normalized SCIM resources (from ``protocol.validate`` and
``protocol.patch``) into the host's user objects and back, through the mappings of the
attribute registry, and keeps the ``ScimUser`` link row. It has one overridable method per
decision (allauth-style); point ``SCIM_PROVIDER["USER_ADAPTER"]`` at a subclass::

    class AcmeUserAdapter(UserAdapter):
        def get_user_queryset(self):
            return super().get_user_queryset().filter(organization_id=self.tenant_id)

        def save_user(self, user, resource, *, created):
            if created:
                user.organization_id = self.tenant_id
            super().save_user(user, resource, created=created)

An adapter is made per request for the token's tenant (``tenant_id``, '' for none):
everything it reads and writes is confined to that tenant.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import NotSupportedError, connections, models
from django.db.models import Aggregate, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONArray
from django.utils import timezone

from .. import multivalued, signals
from ..compiled import CompiledQuery
from ..conf import scim_settings
from ..mapping import ResourcePath, get_value, primary_element
from ..models import ScimGroup, ScimMembership, ScimUser
from ..protocol import errors
from ..query import Column
from ..registry import GROUP, USER
from .base import BaseAdapter, lower, uniqueness_guard


def get_user_adapter(tenant_id: str = "", **options: Any) -> UserAdapter:
    return scim_settings.USER_ADAPTER(tenant_id, **options)


PRIMARY_EMAIL = ResourcePath("emails", "value", primary=True)


@CompiledQuery
def link_by_user_name(key: tuple, tenant_id: str, user_name_key: str) -> QuerySet:
    """The tenant's link (live or deleted) holding the lower-cased userName."""
    links = ScimUser.objects.filter(tenant_id=tenant_id, user_name_key=user_name_key)
    return links.order_by("pk")[:1]


#: Databases whose JSON aggregate reads a user's groups in the user's own query.
INLINE_GROUPS_VENDORS = frozenset({"postgresql", "sqlite"})
NOT_READ = object()


class JSONRows(Aggregate):
    """The JSON array of its argument over the grouped rows (``INLINE_GROUPS_VENDORS``)."""

    output_field = models.JSONField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"JSONRows is not available on {connection.vendor}.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)


@CompiledQuery
def groups_of(key: tuple, user_ids: list[int]) -> QuerySet:
    """(user link pk, group pk, group SCIM id, displayName) of the live groups of
    ``user_ids``."""
    return ScimMembership.objects.filter(
        user__in=user_ids, group__deleted_at__isnull=True
    ).values_list("user_id", "group_id", "group__scim_id", "group__display_name")


class UserAdapter(BaseAdapter):
    """Maps SCIM Users onto the host's user model (``AUTH_USER_MODEL``)."""

    resource = USER
    link_model = ScimUser
    host_relation = "user"
    unstored = ("externalId", "password", "groups")
    on_demand = "groups"

    @property
    def model(self) -> type[models.Model]:
        return get_user_model()

    # Reading ----------------------------------------------------------------------------

    def link_column(self, name: str, sub: str | None) -> Column | None:
        """Columns of the link row behind the identity providers' lookups."""
        if name == "userName":
            return Column("user_name_key", "folded")
        return super().link_column(name, sub)

    def with_related(self, queryset: QuerySet) -> QuerySet:
        """Also each user's groups, inline (``inline_groups``), where the database can
        aggregate them to JSON: one query fewer for every user read."""
        queryset = super().with_related(queryset)
        if connections[queryset.db].vendor not in INLINE_GROUPS_VENDORS:
            return queryset
        rows = (
            ScimMembership.objects.filter(user=OuterRef("pk"), group__deleted_at__isnull=True)
            .order_by()
            .values("user")
            .annotate(rows=JSONRows(JSONArray("group_id", "group__scim_id", "group__display_name")))
            .values("rows")
        )
        return queryset.annotate(inline_groups=Subquery(rows))

    def prefetch(self, links: list[ScimUser]) -> None:
        """The (live) groups of ``links``, for their ``groups`` attribute: read inline with
        the links (``with_related``), or here in one query."""
        by_user: dict[int, list[tuple[int, Any, str]]] = {}
        for link in links:
            inline = getattr(link, "inline_groups", NOT_READ)
            if inline is NOT_READ:
                by_user[link.pk] = []
            else:
                link.prefetched = self.group_refs(inline or [])
        if not by_user:
            return
        for user_id, *row in groups_of((), list(by_user)):
            by_user[user_id].append(row)
        for link in links:
            if link.pk in by_user:
                link.prefetched = self.group_refs(by_user[link.pk])

    def group_refs(self, rows) -> list[dict[str, Any]]:
        """``groups`` elements from (group pk, SCIM id, displayName) rows, by group pk."""
        return [
            {
                "value": (value := str(uuid.UUID(str(scim_id)))),
                **self.ref(GROUP, value),
                "display": display,
                "type": "direct",
            }
            for _pk, scim_id, display in sorted(rows, key=lambda row: row[0])
        ]

    def to_resource(self, link: ScimUser, *, groups: bool = False) -> dict[str, Any]:
        """The normalized SCIM resource of ``link``'s user (``groups`` only when asked)."""
        resource = self.read_mapped(link, self.base_resource(link))
        if groups:
            self.add_on_demand(link, resource)
        return resource

    # Writing ----------------------------------------------------------------------------

    def get_user_queryset(self) -> QuerySet:
        """Host users this tenant may adopt (``MATCH_EXISTING_USERS``)."""
        return self.model._default_manager.all()

    def match_existing_user(self, resource: dict[str, Any]) -> models.Model | None:
        """An existing, unlinked host user to adopt for a POSTed resource, or None."""
        match_on = scim_settings.MATCH_EXISTING_USERS
        candidates = self.get_user_queryset().filter(scim_link__isnull=True)
        model = self.model
        if "userName" in match_on and resource.get("userName"):
            found = candidates.filter(
                **{f"{model.USERNAME_FIELD}__iexact": resource["userName"]}
            ).first()
            if found is not None:
                return found
        email = get_value(resource, PRIMARY_EMAIL)
        if "email" in match_on and email:
            return candidates.filter(**{f"{model.get_email_field_name()}__iexact": email}).first()
        return None

    def new_user(self, resource: dict[str, Any]) -> models.Model:
        """A new, unsaved host user for ``resource``."""
        user = self.model()
        user.set_unusable_password()
        return user

    def check_policies(self, resource: dict[str, Any], current: dict[str, Any] | None) -> None:
        """Refuse what the deployment's policies forbid (``USERNAME_IS_EMAIL``, immutables)."""
        if scim_settings.USERNAME_IS_EMAIL:
            email = get_value(resource, PRIMARY_EMAIL)
            if lower(resource.get("userName")) != lower(email):
                raise errors.InvalidValue("userName must be the same as the primary email.")
        if current is None:
            return
        for text in scim_settings.IMMUTABLE_ATTRIBUTES:
            path = ResourcePath.parse(text, self.resource_type)
            before, after = get_value(current, path), get_value(resource, path)
            if _comparable(before) != _comparable(after):
                raise errors.Mutability(f"{text} cannot be changed once set.")

    def save_user(self, user: models.Model, resource: dict[str, Any], *, created: bool) -> None:
        """Write ``resource``'s mapped attributes (and password) onto ``user`` and save it."""
        pending: dict[str, models.Model] = {}
        for mapping in self.mappings:
            mapping.write(user, get_value(resource, mapping.path), pending)
        password = resource.get("password")
        if scim_settings.PASSWORD_SYNC and isinstance(password, str) and password:
            user.set_password(password)
        signals.pre_user_save.send(
            sender=type(self), adapter=self, user=user, resource=resource, created=created
        )
        user.save()
        for related in pending.values():
            related.save()

    def deactivate(self, user: models.Model) -> None:
        """Hook called when a user becomes inactive (``active`` is mapped separately)."""

    def reactivate(self, user: models.Model) -> None:
        """Hook called when an inactive user becomes active again."""

    def create(self, resource: dict[str, Any]) -> ScimUser:
        """Provision ``resource``: adopt or create the host user and link it."""
        self.check_policies(resource, None)
        key = lower(resource.get("userName"))
        found = link_by_user_name((), self.tenant_id, key)
        existing = found[0] if found else None
        if existing is not None:
            if existing.is_deleted and scim_settings.RELINK_DELETED_USERS:
                existing = self.locked(ScimUser.objects, True).get(pk=existing.pk)
                return self._revive(existing, resource)
            raise errors.Uniqueness(f"A user with userName {resource.get('userName')!r} exists.")
        user = self.match_existing_user(resource)
        adopted = user is not None
        if user is None:
            user = self.new_user(resource)
        was_active = adopted and _is_active(user)
        with uniqueness_guard():
            self.save_user(user, resource, created=not adopted)
            link = ScimUser(user=user, tenant_id=self.tenant_id)
            self.fill_link(link, resource)
            link.save(force_insert=True)
        multivalued.sync_values(self, link, created=True)
        signals.user_provisioned.send(
            sender=type(self),
            adapter=self,
            user=user,
            link=link,
            resource=resource,
            adopted=adopted,
        )
        if adopted and was_active and not _is_active(user):
            self._transition(link, False)
        return link

    def update(self, link: ScimUser, resource: dict[str, Any], current: dict[str, Any]) -> ScimUser:
        """Write ``resource`` (the whole new state) over ``current`` (the stored state)."""
        self.check_policies(resource, current)
        changed = changed_paths(current, resource)
        if not changed:
            return link
        was_active = self._write(link, resource)
        multivalued.sync_values(self, link, changed)
        signals.user_updated.send(
            sender=type(self),
            adapter=self,
            user=link.user,
            link=link,
            resource=resource,
            changed=changed,
        )
        self._follow_activity(link, was_active)
        return link

    def delete(self, link: ScimUser) -> None:
        """DELETE: deactivate and hide (``DELETE_MODE="deactivate"``) or delete the user."""
        user = link.user
        if scim_settings.DELETE_MODE == "delete":
            user.delete()
            signals.user_deleted.send(
                sender=type(self), adapter=self, user=user, link=link, hard=True
            )
            return
        was_active = _is_active(user)
        resource = self.to_resource(link)
        resource["active"] = False
        self.save_user(user, resource, created=False)
        self.leave_groups(link)
        link.deleted_at = timezone.now()
        self.fill_link(link, resource)
        link.save()
        if was_active:
            self._transition(link, False)
        signals.user_deleted.send(sender=type(self), adapter=self, user=user, link=link, hard=False)

    def leave_groups(self, link: ScimUser) -> None:
        """A deleted user leaves every group, SCIM's and the mirrored host groups alike
        (a deactivated one stays: identity providers reactivate)."""
        from .groups import get_group_adapter

        groups = ScimGroup.objects.filter(memberships__user=link)
        adapter = get_group_adapter(self.tenant_id, reference=self.reference)
        for group in groups:
            adapter.remove_members(group, {link.pk: link.user_id})

    # Internals --------------------------------------------------------------------------

    def _revive(self, link: ScimUser, resource: dict[str, Any]) -> ScimUser:
        """Re-provision a soft-deleted user: the same id, the new attributes."""
        link.deleted_at = None
        was_active = self._write(link, resource)
        multivalued.sync_values(self, link)
        signals.user_provisioned.send(
            sender=type(self),
            adapter=self,
            user=link.user,
            link=link,
            resource=resource,
            adopted=True,
        )
        self._follow_activity(link, was_active)
        return link

    def _write(self, link: ScimUser, resource: dict[str, Any]) -> bool:
        """Save ``resource`` onto an existing link and its user; return the old activity."""
        was_active = _is_active(link.user)
        with uniqueness_guard():
            self.save_user(link.user, resource, created=False)
            self.fill_link(link, resource)
            link.save()
        return was_active

    def _follow_activity(self, link: ScimUser, was_active: bool) -> None:
        """Send the (de)activation hooks and signals when ``active`` changed."""
        if was_active != _is_active(link.user):
            self._transition(link, _is_active(link.user))

    def fill_link(self, link: ScimUser, resource: dict[str, Any]) -> None:
        super().fill_link(link, resource)
        link.user_name = (resource.get("userName") or "")[:255]
        link.user_name_key = link.user_name.lower()
        link.email_key = lower(get_value(resource, PRIMARY_EMAIL))[:254]

    def _transition(self, link: ScimUser, active: bool) -> None:
        if active:
            self.reactivate(link.user)
            signals.user_reactivated.send(
                sender=type(self), adapter=self, user=link.user, link=link
            )
        else:
            self.deactivate(link.user)
            signals.user_deactivated.send(
                sender=type(self), adapter=self, user=link.user, link=link
            )


def changed_paths(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Top-level SCIM attributes (``name``, ``urn:...:department``) that differ."""
    changed: set[str] = set()
    for key in set(before) | set(after):
        if key.startswith("urn:") and isinstance(after.get(key, {}), dict):
            old, new = before.get(key) or {}, after.get(key) or {}
            changed |= {f"{key}:{n}" for n in set(old) | set(new) if old.get(n) != new.get(n)}
        elif before.get(key) != after.get(key):
            changed.add(key)
    changed.discard("password")
    if "password" in after:
        changed.add("password")
    return changed


def _comparable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _is_active(user: models.Model) -> bool:
    return bool(getattr(user, "is_active", True))


__all__ = ["UserAdapter", "changed_paths", "get_user_adapter", "primary_element"]
