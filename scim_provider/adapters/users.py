"""Users: SCIM Users (RFC 7643 §4.1) on the host's own user model.

``UserAdapter`` turns normalized SCIM resources (from ``protocol.validate`` and
``protocol.patch``) into the host's user objects and back, through the mappings of the
attribute registry, and keeps the ``ScimUser`` link row. It has one overridable method per
decision (allauth-style); point ``SCIM_PROVIDER["USER_ADAPTER"]`` at a subclass::

    class AcmeUserAdapter(UserAdapter):
        def get_user_queryset(self):
            return super().get_user_queryset().filter(organization_id=self.tenant_id)

        def new_user(self, resource):
            user = super().new_user(resource)
            user.organization_id = self.tenant_id
            return user

An adapter is made per request for the token's tenant (``tenant_id``, '' for none):
everything it reads and writes is confined to that tenant.

Writes come from ``scim_provider.writes`` (``create``, ``update``, ``delete`` with a
``Write``), with the link and the host user locked together. The host user is saved with
``update_fields``: only the columns the request changed (``mapping.HostRow``), so that a
concurrent login or a password changed in the host's own pages is never overwritten. The
link row is written once per request.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import NotSupportedError, connections, models
from django.db.models import Aggregate, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONArray
from django.utils import timezone

from .. import accounts, domains, multivalued, signals
from ..compiled import CompiledQuery
from ..conf import scim_settings
from ..mapping import HostRow, ResourcePath, get_value, primary_element
from ..models import ScimGroup, ScimMembership, ScimUser
from ..protocol import errors
from ..protocol.changes import Change
from ..query import Column
from ..registry import GROUP, USER
from .base import BaseAdapter, integrity_guard, lower

if TYPE_CHECKING:  # pragma: no cover
    from ..writes import Write


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
    link_columns = {"external_id": "externalId", "user_name": "userName", "email_key": "emails"}
    key_columns = {"user_name_key": "userName"}

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

    def prefetch(self, links: list[ScimUser], *, limit: int | None = None) -> bool:
        """The (live) groups of ``links``, for their ``groups`` attribute: read inline with
        the links (``with_related``), or here in one query. A user's groups are few:
        ``limit`` is not applied."""
        by_user: dict[int, list[tuple[int, Any, str]]] = {}
        for link in links:
            inline = getattr(link, "inline_groups", NOT_READ)
            if inline is NOT_READ:
                by_user[link.pk] = []
            else:
                link.prefetched = self.group_refs(inline or [])
        if not by_user:
            return True
        for user_id, *row in groups_of((), list(by_user)):
            by_user[user_id].append(row)
        for link in links:
            if link.pk in by_user:
                link.prefetched = self.group_refs(by_user[link.pk])
        return True

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

    def read(self, link: ScimUser) -> dict[str, Any]:
        return self.read_mapped(link, self.base_resource(link))

    # Decisions (override these) ---------------------------------------------------------

    def get_user_queryset(self) -> QuerySet:
        """Host users this tenant may adopt (``MATCH_EXISTING_USERS``)."""
        return self.model._default_manager.all()

    def match_existing_user(self, resource: dict[str, Any]) -> models.Model | None:
        """An existing, unlinked host user to adopt for a POSTed resource, or None."""
        return accounts.match_existing_user(self, resource)

    def adoption_refusal(self, user: models.Model) -> str | None:
        """Why this tenant may not adopt ``user`` (``MATCH_EXISTING_USERS``,
        ``scim_link_users``), or None when it may. Default: never staff or superusers, nor
        (``DOMAIN_POLICY``) a user outside the tenant's verified domains."""
        return accounts.adoption_refusal(self, user)

    def new_user(self, resource: dict[str, Any]) -> models.Model:
        """A new, unsaved host user for ``resource``."""
        user = self.model()
        user.set_unusable_password()
        return user

    def check_policies(self, resource: dict[str, Any], current: dict[str, Any] | None) -> None:
        """Refuse what the deployment's policies forbid (``USERNAME_IS_EMAIL``, immutables)."""
        accounts.normalize_login(self.model, resource)  # before any lookup: one login, one user
        domains.enforce(self, resource, current)  # DOMAIN_POLICY, before any lookup
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
        """Write ``resource``'s mapped attributes (and password) onto ``user`` and save the
        columns that changed (all of them for a new user), then its related rows."""
        row = HostRow(user, tuple({m.relation for m in self.mappings if m.relation}))
        pending: dict[str, models.Model] = {}
        for mapping in self.mappings:
            mapping.write(user, get_value(resource, mapping.path), pending)
        password = resource.get("password")
        if scim_settings.PASSWORD_SYNC and isinstance(password, str) and password:
            user.set_password(password)
        signals.pre_user_save.send(
            sender=type(self), adapter=self, user=user, resource=resource, created=created
        )
        row.save(pending)

    def deactivate(self, user: models.Model) -> None:
        """Hook called when a user becomes inactive (``active`` is mapped separately)."""

    def reactivate(self, user: models.Model) -> None:
        """Hook called when an inactive user becomes active again."""

    # Writes (from scim_provider.writes) -------------------------------------------------

    def check(self, change: Change) -> None:
        self.check_policies(change.resource, change.current)

    def create(self, write: Write) -> None:
        """Provision: adopt or create the host user and link it (or revive a deleted link)."""
        resource = write.change.resource
        found = link_by_user_name((), self.tenant_id, lower(resource.get("userName")))
        existing = found[0] if found else None
        if existing is not None:
            if existing.is_deleted and scim_settings.RELINK_DELETED_USERS:
                write.link = self.locked(ScimUser.objects, True).get(pk=existing.pk)
                write.link.deleted_at = None
                self._save(write, adopted=True)
                return
            raise errors.Uniqueness(f"A user with userName {resource.get('userName')!r} exists.")
        user = self.match_existing_user(resource)
        adopted = user is not None
        if user is None:
            user = self.new_user(resource)
        write.link = ScimUser(user=user, tenant_id=self.tenant_id)
        self._save(write, adopted=adopted)

    def update(self, write: Write) -> None:
        """Write the change over the stored user (PUT, PATCH)."""
        self._save(write)

    def delete(self, write: Write) -> None:
        """DELETE: deactivate and hide (``DELETE_MODE="deactivate"``) or delete the user."""
        link = write.link
        user = link.user
        if scim_settings.DELETE_MODE == "delete":
            user.delete()
            write.hard = True
            write.notify(signals.user_deleted, user=user, link=link, hard=True)
            return
        resource = self.to_resource(link)
        resource["active"] = False
        was_active = _is_active(user)
        with integrity_guard(self):
            self.save_user(user, resource, created=False)
            self.leave_groups(write)
            link.deleted_at = timezone.now()
            self.fill_link(link, resource, write.private)
            link.save()
        if was_active:
            self._transition(write, False)
        write.notify(signals.user_deleted, user=user, link=link, hard=False)

    def leave_groups(self, write: Write) -> None:
        """A deleted user leaves every group (one DELETE); the host-group mirror, mappings
        and roles follow from ``write.members`` (a deactivated user stays: identity
        providers reactivate)."""
        from .groups import get_group_adapter

        link = write.link
        groups = list(ScimGroup.objects.filter(memberships__user=link).order_by("pk"))
        if not groups:
            return
        ScimMembership.objects.filter(user=link).delete()
        adapter = get_group_adapter(self.tenant_id, reference=self.reference)
        for group in groups:
            write.members_changed(adapter, group, removed=[link.user_id])

    # Internals --------------------------------------------------------------------------

    def _save(self, write: Write, *, adopted: bool | None = None) -> None:
        """Save the change onto the link's user and the link, once each; ``adopted`` is
        None for an update, else whether a provisioned user already existed."""
        link, resource = write.link, write.change.resource
        user = link.user
        created = adopted is not None
        was_active = _is_active(user) if link.pk or adopted else None
        inserted = link.pk is None
        with integrity_guard(self):
            self.save_user(user, resource, created=created and not adopted)
            self.fill_link(link, resource, write.private)
            link.save(force_insert=inserted)
        # The values multi-valued filters read: all of them for a provisioned user.
        changed = None if created else write.change.changed
        multivalued.sync_values(self, link, changed, created=inserted)
        if created:
            write.created = True
            write.notify(
                signals.user_provisioned, user=user, link=link, resource=resource, adopted=adopted
            )
        else:
            changed = set(write.change.changed)
            write.notify(
                signals.user_updated, user=user, link=link, resource=resource, changed=changed
            )
        if was_active is not None and was_active != _is_active(user):
            self._transition(write, _is_active(user))

    def link_values(self, resource: dict[str, Any]) -> dict[str, str]:
        return {
            **super().link_values(resource),
            "user_name": resource.get("userName") or "",
            "email_key": lower(get_value(resource, PRIMARY_EMAIL)),
        }

    def fill_link(
        self, link: ScimUser, resource: dict[str, Any], private: dict[str, Any] | None = None
    ) -> None:
        super().fill_link(link, resource, private)
        link.user_name_key = link.user_name.lower()

    def _transition(self, write: Write, active: bool) -> None:
        """Call the (de)activation hook and announce it, once."""
        link = write.link
        if active:
            self.reactivate(link.user)
            write.notify(signals.user_reactivated, user=link.user, link=link)
        else:
            self.deactivate(link.user)
            write.notify(signals.user_deactivated, user=link.user, link=link)


def _comparable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _is_active(user: models.Model) -> bool:
    return bool(getattr(user, "is_active", True))


__all__ = ["UserAdapter", "get_user_adapter", "primary_element"]
