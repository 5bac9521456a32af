"""Groups (RFC 7643 §4.2): pushed groups, their members, and the host groups they mirror.

A group and its memberships are kept in ``ScimGroup`` / ``ScimMembership`` (what the
identity provider pushed); the host's group model (``GROUP_MODEL``, ``auth.Group`` by
default, ``None`` for none) is mirrored: created, renamed through the ``GROUP_FIELDS``
mappings, and given the same members through its many-to-many relation with the user
model, found automatically (``User.groups``, ``Team.members``...).

Membership at scale: a PATCH that adds or removes *k* members costs a constant number of
queries, independent of *k* (up to ``MEMBERS_CHUNK_SIZE`` ids per statement) and of the
group's size: one query resolves the ids, one ``INSERT ... SELECT ... WHERE NOT EXISTS`` or
one ``DELETE`` changes each membership table. Members are never loaded to add or remove
some; only a full replacement reads the current member ids, to compute the difference.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .. import multivalued, signals
from ..compiled import CompiledQuery
from ..conf import scim_settings
from ..mapping import HostRow, get_value
from ..models import ScimGroup, ScimMembership, ScimUser
from ..protocol import errors
from ..protocol.patch import MultiValueDelta
from ..protocol.schemas import Attribute, Schema
from ..query import Column
from ..registry import GROUP, USER
from .base import BaseAdapter, integrity_guard, json_column

if TYPE_CHECKING:  # pragma: no cover
    from ..writes import Write

MEMBERS_CHUNK_SIZE = 5000


def get_group_adapter(tenant_id: str = "", **options: Any) -> GroupAdapter:
    return scim_settings.GROUP_ADAPTER(tenant_id, **options)


def chunks(items: Sequence, size: int = MEMBERS_CHUNK_SIZE) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class HostMembership:
    """The host's many-to-many between its group model and the user model."""

    def __init__(self, table: str, group_column: str, user_column: str) -> None:
        self.table, self.group_column, self.user_column = table, group_column, user_column

    @classmethod
    def find(cls, group_model: type[models.Model]) -> HostMembership | None:
        user_model = get_user_model()
        for m2m in group_model._meta.many_to_many:
            if m2m.related_model is user_model:
                return cls(m2m.m2m_db_table(), m2m.m2m_column_name(), m2m.m2m_reverse_name())
        for m2m in user_model._meta.many_to_many:
            if m2m.related_model is group_model:
                return cls(m2m.m2m_db_table(), m2m.m2m_reverse_name(), m2m.m2m_column_name())
        return None


@CompiledQuery
def members_of(limit: int | None, group_ids: list[int]) -> models.QuerySet:
    """(group link pk, member SCIM id) of the live members of ``group_ids``, in the order
    they joined; at most ``limit + 1`` rows with a ``limit``.

    Each membership's user is looked up by a subquery rather than a join: for a join,
    PostgreSQL picks a merge join that walks the users' primary key up to the group's
    highest member (100,000 index rows to answer 1,001, 12-23 ms), where this reads the
    ``(group_id, id)`` index in order and stops at the limit (2-3 ms). A whole group of
    100,000 costs about the same either way (0.2-0.3 s).
    """
    live = ScimUser.objects.filter(pk=OuterRef("user_id"), deleted_at__isnull=True)
    rows = (
        ScimMembership.objects.filter(group__in=group_ids)
        .annotate(member=Subquery(live.values("scim_id")[:1]))
        .filter(member__isnull=False)
        .order_by("group_id", "pk")
        .values_list("group_id", "member")
    )
    return rows if limit is None else rows[: limit + 1]


@CompiledQuery
def users_by_id(key: tuple, tenant_id: str, scim_ids: list[uuid.UUID]) -> models.QuerySet:
    """(SCIM id, link pk, host user pk) of the tenant's live users among ``scim_ids``."""
    return ScimUser.objects.filter(
        tenant_id=tenant_id, deleted_at__isnull=True, scim_id__in=scim_ids
    ).values_list("scim_id", "pk", "user_id")


class GroupAdapter(BaseAdapter):
    """Maps SCIM Groups onto ``ScimGroup`` and mirrors them onto the host's group model."""

    resource = GROUP
    link_model = ScimGroup
    unstored = ("externalId", "displayName", "members")
    on_demand = "members"
    delta_attribute = "members"
    link_columns = {"external_id": "externalId", "display_name": "displayName"}
    key_columns = {"display_name_key": "displayName"}

    @property
    def model(self) -> type[models.Model] | None:
        label = scim_settings.GROUP_MODEL
        return apps.get_model(label) if label else None

    # Reading ----------------------------------------------------------------------------

    def stored_attributes(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Groups keep every attribute on the link; the host group is a mirror."""
        return {k: v for k, v in resource.items() if k not in self.unstored}

    def filter_column(
        self, schema: Schema, attribute: Attribute, sub: Attribute | None
    ) -> Column | None:
        core = schema.id == self.resource_type.schema.id
        if core:
            column = self.link_column(attribute.name, sub.name if sub else None)
            if column is not None:
                return column
        return json_column(None if core else schema.id, attribute, sub)

    def link_column(self, name: str, sub: str | None) -> Column | None:
        if name == "displayName":
            return Column("display_name_key", "folded")
        return super().link_column(name, sub)

    def prefetch(self, links: list[ScimGroup], *, limit: int | None = None) -> bool:
        """Load the members of ``links`` in one query (for list pages and GET).

        With ``limit`` (one group), load nothing and return False when it has more members.
        A deleted user leaves its groups (``UserAdapter.leave_groups``); a membership of a
        user deleted otherwise is not listed: a ``$ref`` answering 404 would mislead.
        """
        by_group: dict[int, list[dict[str, Any]]] = {link.pk: [] for link in links}
        rows = members_of(limit, list(by_group))
        if limit is not None and len(rows) > limit:
            return False
        for group_id, scim_id in rows:
            by_group[group_id].append(self.member(scim_id))
        for link in links:
            link.prefetched = by_group[link.pk]
        return True

    def member(self, scim_id) -> dict[str, Any]:
        """A ``members`` element. ``display`` is left out: it is readOnly and clients
        compare what they sent with what they read back."""
        return {"value": str(scim_id), **self.ref(USER, scim_id), "type": "User"}

    def read(self, link: ScimGroup) -> dict[str, Any]:
        resource = self.base_resource(link)
        resource["displayName"] = link.display_name
        return resource

    # The mirrored host group ------------------------------------------------------------

    def host_display_name(self, display_name: str) -> str:
        """The name of the mirrored host group. Tenants that share the host table get their
        id as a prefix to keep names unique; with ``GROUP_TENANT_FIELD`` the host group
        belongs to the tenant and keeps the plain name."""
        if self.tenant_id and not scim_settings.GROUP_TENANT_FIELD:
            return f"{self.tenant_id}: {display_name}"
        return display_name

    @property
    def host_model_label(self) -> str:
        """What ``ScimGroup.host_group_model`` holds for the current ``GROUP_MODEL``."""
        model = self.model
        return model._meta.label_lower if model is not None else ""

    def host_group_key(self, link: ScimGroup) -> str | None:
        """The primary key (text) of ``link``'s host group, if it is a row of the current
        ``GROUP_MODEL``: a key written under another model is never read as one of this."""
        if link.host_group_id and link.host_group_model == self.host_model_label:
            return link.host_group_id
        return None

    def host_tenant_field(self) -> models.ForeignKey | None:
        """The foreign key of ``GROUP_MODEL`` to the tenant (``GROUP_TENANT_FIELD``)."""
        name, model = scim_settings.GROUP_TENANT_FIELD, self.model
        return model._meta.get_field(name) if name and model is not None else None

    def host_tenant_value(self) -> Any:
        """The value of the host groups' tenant field for this adapter's tenant."""
        field = self.host_tenant_field()
        if field is None or not self.tenant_id:
            return None
        return field.target_field.to_python(self.tenant_id)

    def get_host_group_queryset(self) -> models.QuerySet:
        """The host groups this tenant's groups may mirror onto, be it to reuse one by
        name or to write one by key: with ``GROUP_TENANT_FIELD``, the tenant's own."""
        queryset = self.model._default_manager.all()
        field = self.host_tenant_field()
        if field is None:
            return queryset
        value = self.host_tenant_value()
        if value is None:
            return queryset.filter(**{f"{field.attname}__isnull": True})
        return queryset.filter(**{field.attname: value})

    def new_host_group(self, resource: dict[str, Any]) -> models.Model:
        """A new, unsaved host group for ``resource`` (its mapped fields are written next).

        With ``GROUP_TENANT_FIELD`` it belongs to this adapter's tenant. Override it to
        fill other required fields of your group model (a creator, a workspace...).
        """
        host = self.model()
        field = self.host_tenant_field()
        if field is not None:
            value = self.host_tenant_value()
            if value is None and not field.null:
                raise errors.Forbidden(
                    f"This token has no tenant, and every {self.model._meta.verbose_name} "
                    "belongs to one (GROUP_TENANT_FIELD): use a token bound to a tenant."
                )
            setattr(host, field.attname, value)
        return host

    def host_group(self, link: ScimGroup, *, for_update: bool = False) -> models.Model | None:
        """The host group ``link`` mirrors (locked with ``for_update``), if any: a row of
        the current ``GROUP_MODEL`` among ``get_host_group_queryset()``."""
        key = self.host_group_key(link)
        if key is None:
            return None
        rows = self.get_host_group_queryset().filter(pk=_host_pk(self.model, key))
        return (rows.select_for_update() if for_update else rows).first()

    def save_host_group(self, link: ScimGroup, resource: dict[str, Any]) -> models.Model | None:
        """Create or update (the changed columns of) the mirrored host group; None when
        ``GROUP_MODEL`` is None. Sets the link's host columns; the link is saved after.

        A saved group that gets a host group it did not have (the old one was deleted by
        hand, or belongs to a previous ``GROUP_MODEL``) gives it its current members.
        """
        if self.model is None:
            return None
        key = self.host_group_key(link)
        host = self.host_group(link, for_update=True) or self.new_host_group(resource)
        row = HostRow(host, tuple({m.relation for m in self.mappings if m.relation}))
        pending = self.write_host_group(host, resource)
        if host.pk is None:
            orphan = self.orphaned_host_group(host)
            if orphan is not None:
                row = HostRow(orphan)
                host, pending = orphan, self.write_host_group(orphan, resource)
        row.save(pending)
        link.host_group_id, link.host_group_model = str(host.pk), self.host_model_label
        if link.pk is not None and link.host_group_id != key:
            self.fill_host_group(link)
        return host

    def needs_host_group(self, link: ScimGroup) -> bool:
        """Whether ``link`` has no host group of the current ``GROUP_MODEL`` (its key names a
        row of another model, or none): its next write gives it one."""
        return self.model is not None and self.host_group_key(link) is None

    def fill_host_group(self, link: ScimGroup) -> None:
        """Put every current member of ``link`` into its (new) host group."""
        self.mirror_members(link, sorted(set(self.current_members(link).values())), [])

    def write_host_group(
        self, host: models.Model, resource: dict[str, Any]
    ) -> dict[str, models.Model]:
        """Write the ``GROUP_FIELDS`` mappings onto ``host``; return related objects to save."""
        pending: dict[str, models.Model] = {}
        for mapping in self.mappings:
            value = get_value(resource, mapping.path)
            if str(mapping.path) == "displayName" and isinstance(value, str):
                value = self.host_display_name(value)
            mapping.write(host, value, pending)
        return pending

    def orphaned_host_group(self, host: models.Model) -> models.Model | None:
        """The host group that a deleted group of this tenant mirrored under the name
        ``host`` is about to take, if no live group mirrors it: reused by a new group.

        A soft-deleted group keeps its host group, whose name is usually unique
        (``auth.Group.name``, ``unique(organization, name)``): without this, pushing a
        deleted group again would be a 409. Only this tenant's host groups are candidates
        (``get_host_group_queryset()``); host groups that SCIM did not create, or that
        another group mirrors, are never taken over (the POST is then a 409).
        """
        mapping = next(
            (
                m
                for m in self.mappings
                if str(m.path) == "displayName" and m.field and m.relation is None
            ),
            None,
        )
        if mapping is None:
            return None
        name = getattr(host, mapping.model_field.attname)
        candidates = list(
            self.get_host_group_queryset().filter(**{mapping.model_field.name: name})[:2]
        )
        if len(candidates) != 1:
            return None
        candidate = candidates[0]
        mirrored_by = ScimGroup.objects.filter(
            host_group_model=self.host_model_label, host_group_id=str(candidate.pk)
        )
        owners = {
            (tenant_id, deleted_at is not None)
            for tenant_id, deleted_at in mirrored_by.values_list("tenant_id", "deleted_at")
        }
        return candidate if owners == {(self.tenant_id, True)} else None

    def retire_host_group(self, host: models.Model, *, hard: bool) -> None:
        """What becomes of the mirrored host group when its SCIM group is deleted: deleted
        with ``GROUP_DELETE_MODE="delete"``, else kept, emptied of its members (override
        to archive it, e.g. set ``team.archived = True`` and save that field)."""
        if hard:
            host.delete()

    def host_membership(self) -> HostMembership | None:
        model = self.model
        return HostMembership.find(model) if model is not None else None

    def mirror_members(self, link: ScimGroup, added: list[int], removed: list[int]) -> None:
        """Give the mirrored host group the same member changes (host user pks): one
        statement per change and chunk of ids, whatever the group's size."""
        host, key = self.host_membership(), self.host_group_key(link)
        if host is None or key is None:
            return
        group_pk = _host_pk(self.model, key)
        for chunk in chunks(removed):
            _delete_rows(host.table, host.group_column, group_pk, host.user_column, chunk)
        user_model = get_user_model()
        for chunk in chunks(added):
            _insert_missing(
                host.table,
                (host.group_column, group_pk),
                (host.user_column, user_model._meta.pk.column, user_model._meta.db_table, chunk),
            )

    # Writes (from scim_provider.writes) -------------------------------------------------

    def create(self, write: Write) -> None:
        change = write.change
        resource = change.resource
        wanted = _values(change.delta.replaced if change.delta else None)
        members = self.resolve_members(wanted, strict=True)
        link = ScimGroup(tenant_id=self.tenant_id)
        self.fill_link(link, resource, write.private)
        with integrity_guard(self):
            self.save_host_group(link, resource)
            link.save(force_insert=True)
        multivalued.sync_values(self, link, created=True)
        write.link, write.created = link, True
        write.notify(signals.group_created, group=link, resource=resource)
        self.add_members(write, members)

    def update(self, write: Write) -> None:
        """Write the attributes that changed and apply the member delta; a group without a
        host group of the current ``GROUP_MODEL`` gets one (``needs_host_group``)."""
        link, change = write.link, write.change
        rebind = self.needs_host_group(link)
        if change.delta is not None:
            self.apply_members(write, change.delta)
        attributes_changed = set(change.changed) - {"members"}
        host_changed = "displayName" in attributes_changed or any(
            str(m.path) in attributes_changed for m in self.mappings
        )
        if attributes_changed:
            self.fill_link(link, change.resource, write.private)
        elif write.members_moved:
            link.updated_at = timezone.now()
            link.version += 1
        elif not rebind:
            return
        with integrity_guard(self):
            if host_changed or rebind:
                self.save_host_group(link, change.resource)
            if attributes_changed or rebind:
                link.save()
            else:  # only members: the version and time, not the whole row
                ScimGroup.objects.filter(pk=link.pk).update(
                    updated_at=link.updated_at, version=link.version
                )
        if attributes_changed:
            multivalued.sync_values(self, link, attributes_changed)
            write.notify(
                signals.group_updated,
                group=link,
                resource=change.resource,
                changed=attributes_changed,
            )

    def delete(self, write: Write) -> None:
        """DELETE: unassign every member; soft-delete (default) or delete the group."""
        link = write.link
        hard = scim_settings.GROUP_DELETE_MODE == "delete"
        self.apply_members(write, MultiValueDelta(cleared=True))
        host = self.host_group(link, for_update=True)
        if host is not None:
            self.retire_host_group(host, hard=hard)
        if hard:
            link.delete()
        else:
            link.deleted_at = timezone.now()
            link.save(update_fields=["deleted_at"])
        write.hard = hard
        write.notify(signals.group_deleted, group=link, host_group=host, hard=hard)

    def link_values(self, resource: dict[str, Any]) -> dict[str, str]:
        return {**super().link_values(resource), "display_name": resource.get("displayName") or ""}

    def fill_link(
        self, link: ScimGroup, resource: dict[str, Any], private: dict[str, Any] | None = None
    ) -> None:
        super().fill_link(link, resource, private)
        link.display_name_key = link.display_name.lower()

    # Members ----------------------------------------------------------------------------

    def lookup_members(self, values: Iterable[str]) -> dict[str, tuple[int, int]]:
        """``{SCIM id: (ScimUser pk, host user pk)}`` of this tenant's live users among the
        member ids ``values`` (canonical UUID text as keys): one query per chunk of ids."""
        wanted = sorted({c for c in map(_canonical, values) if c is not None})
        found: dict[str, tuple[int, int]] = {}
        for chunk in chunks(wanted):
            ids = [uuid.UUID(value) for value in chunk]
            for scim_id, pk, user_id in users_by_id((), self.tenant_id, ids):
                found[str(scim_id)] = (pk, user_id)
        return found

    def pick_members(
        self, found: dict[str, tuple[int, int]], values: Iterable[str], *, strict: bool
    ) -> dict[int, int]:
        """``{ScimUser pk: host user pk}`` of ``values`` among ``found`` (``lookup_members``).

        With ``strict``, an unknown id is a 400 naming it: members must be provisioned first.
        """
        values = list(values)
        picked: dict[int, int] = {}
        unknown: set[str] = set()
        for value in values:
            hit = found.get(_canonical(value) or "")
            if hit is None:
                unknown.add(value)
            else:
                picked[hit[0]] = hit[1]
        if strict and unknown:
            shown = ", ".join(repr(v) for v in sorted(unknown)[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise errors.InvalidValue(f"Unknown members (provision them first): {shown}{more}.")
        return picked

    def resolve_members(self, values: list[str], *, strict: bool) -> dict[int, int]:
        """``{ScimUser pk: host user pk}`` for the member ids ``values`` of this tenant.

        With ``strict``, an unknown id is a 400 naming it: members must be provisioned first.
        """
        return self.pick_members(self.lookup_members(values), values, strict=strict)

    def current_members(self, link: ScimGroup) -> dict[int, int]:
        rows = ScimMembership.objects.filter(group=link).values_list("user_id", "user__user_id")
        return dict(rows)

    def apply_members(self, write: Write, delta: MultiValueDelta) -> None:
        """Apply a PATCH/PUT member change to ``write.link`` with a constant number of
        queries.

        Unknown member ids are refused (400) or skipped, as ``UNKNOWN_MEMBERS`` says. The
        ids removed and added by one request are looked up together, in one query.
        """
        link = write.link
        strict = scim_settings.UNKNOWN_MEMBERS == "reject"
        if delta.replaced is not None or delta.cleared:
            # ``cleared`` then ``added``: "remove all, then add these" is a replacement.
            wanted = _values(delta.replaced if delta.replaced is not None else delta.added)
            target = self.resolve_members(wanted, strict=strict)
            current = self.current_members(link)
            removed = {pk: current[pk] for pk in current.keys() - target.keys()}
            added = {pk: target[pk] for pk in target.keys() - current.keys()}
            self.remove_members(write, removed)
            self.add_members(write, added)
            return
        removed_values, added_values = sorted(delta.removed), _values(delta.added)
        if not removed_values and not added_values:
            return
        found = self.lookup_members([*removed_values, *added_values])
        added = self.pick_members(found, added_values, strict=strict)
        self.remove_members(write, self.pick_members(found, removed_values, strict=False))
        self.add_members(write, added)

    def add_members(self, write: Write, members: dict[int, int]) -> None:
        """Add ``members`` ({link pk: user pk}) to ``write.link``; existing memberships are
        left alone.

        The change recorded (and ``members_added``) names the users that were not members
        yet (on PostgreSQL and SQLite, through ``RETURNING``: no extra query; elsewhere, all
        of ``members``): the host-group mirror ensures its rows for all of them.
        """
        if not members:
            return
        link = write.link
        inserted: set[int] | None = set()
        for chunk in chunks(sorted(members)):
            rows = _insert_missing(
                ScimMembership._meta.db_table,
                ("group_id", link.pk),
                ("user_id", "id", ScimUser._meta.db_table, chunk),
                extra=("created_at", connection.ops.adapt_datetimefield_value(timezone.now())),
            )
            inserted = None if rows is None or inserted is None else inserted | set(rows)
        added = members if inserted is None else {pk: members[pk] for pk in inserted}
        # The host rows of every member are ensured, new or not: the mirror converges.
        write.members_changed(
            self,
            link,
            added=sorted(set(added.values())),
            mirror_added=sorted(set(members.values())),
        )

    def remove_members(self, write: Write, members: dict[int, int]) -> None:
        """Remove ``members`` ({link pk: user pk}) from ``write.link``; the change recorded
        names those that were members (as ``add_members`` does)."""
        if not members:
            return
        link = write.link
        deleted: set[int] | None = set()
        for chunk in chunks(sorted(members)):
            rows = _delete_rows(
                ScimMembership._meta.db_table, "group_id", link.pk, "user_id", chunk
            )
            deleted = None if rows is None or deleted is None else deleted | set(rows)
        removed = members if deleted is None else {pk: members[pk] for pk in deleted}
        write.members_changed(
            self,
            link,
            removed=sorted(set(removed.values())),
            mirror_removed=sorted(set(members.values())),
        )


def _values(elements: Any) -> list[str]:
    if not isinstance(elements, list):
        return []
    return [str(e["value"]) for e in elements if isinstance(e, dict) and e.get("value")]


def _canonical(value: Any) -> str | None:
    """``value`` as canonical UUID text (the form of SCIM ids), None if it is not one."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def _host_pk(model: type[models.Model], text: str) -> Any:
    return model._meta.pk.to_python(text)


def _returning() -> bool:
    """Whether ``RETURNING`` may end an ``INSERT ... SELECT`` or a ``DELETE`` here."""
    return (
        connection.vendor in ("postgresql", "sqlite")
        and connection.features.can_return_columns_from_insert
    )


def _insert_missing(
    table: str,
    fixed: tuple[str, Any],
    source: tuple[str, str, str, Sequence[Any]],
    extra: tuple[str, Any] | None = None,
) -> list[Any] | None:
    """``INSERT INTO table (fixed, target) SELECT ... WHERE NOT EXISTS``: one statement.

    ``source`` is (target column, key column of the source table, source table, keys):
    rows of the source table whose key is in ``keys`` are inserted unless already there.
    Returns the target values inserted, or None where ``RETURNING`` is not available.
    """
    q = connection.ops.quote_name
    fixed_column, fixed_value = fixed
    target_column, key_column, source_table, keys = source
    columns = [q(fixed_column), q(target_column)]
    select = ["%s", f"s.{q(key_column)}"]
    params: list[Any] = [fixed_value]
    if extra is not None:
        columns.append(q(extra[0]))
        select.append("%s")
        params.append(extra[1])
    placeholders = ", ".join(["%s"] * len(keys))
    returning = _returning()
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(select)} FROM {q(source_table)} s "
        f"WHERE s.{q(key_column)} IN ({placeholders}) AND NOT EXISTS ("
        f"SELECT 1 FROM {q(table)} t WHERE t.{q(fixed_column)} = %s "
        f"AND t.{q(target_column)} = s.{q(key_column)})"
    )
    if returning:
        sql += f" RETURNING {q(target_column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *keys, fixed_value])
        return [row[0] for row in cursor.fetchall()] if returning else None


def _delete_rows(
    table: str, fixed_column: str, fixed_value: Any, column: str, keys
) -> list[Any] | None:
    """Delete the rows of ``fixed_value`` whose ``column`` is in ``keys``: one statement.
    Returns the ``column`` values deleted, or None where ``RETURNING`` is not available."""
    q = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(keys))
    returning = _returning()
    sql = f"DELETE FROM {q(table)} WHERE {q(fixed_column)} = %s AND {q(column)} IN ({placeholders})"
    if returning:
        sql += f" RETURNING {q(column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [fixed_value, *keys])
        return [row[0] for row in cursor.fetchall()] if returning else None


__all__ = ["GroupAdapter", "HostMembership", "get_group_adapter"]
