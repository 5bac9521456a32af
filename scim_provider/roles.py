"""Roles from groups: a user attribute computed from the groups the user is in.

Vendors derive a user's role from the groups their identity provider pushes: Testomat.io
gives the roles of the groups named "manager", "billing" or "read-only" (``qa`` when none
applies); TestMu AI gives the *highest* role (Admin > User > Guest) that any of the user's
groups carries in a group extension attribute. Both are one declarative entry of
``SCIM_PROVIDER["ROLE_MAPPINGS"]``::

    "ROLE_MAPPINGS": [
        {   # TestMu AI: the highest role of the user's groups
            "target": "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User:OrganizationRole",
            "roles": ["Admin", "User", "Guest"],          # highest first
            "from": "group_attribute",
            "group_attribute":
                "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:Group:LambdatestRoles",
        },
        {   # Testomat.io: every role whose group name matches, "qa" otherwise
            "target": "urn:ietf:params:scim:schemas:extension:testomat:2.0:User:testomat_roles",
            "roles": ["manager", "billing", "read"],
            "from": "group_name",
            "names": {"manager": "manager", "billing": "billing", "read-only": "read"},
            "match": "contains",                           # or "exact"
            "multiple": True,
            "default": ["qa"],
        },
    ]

``target`` is a User attribute of the registry (so it is validated, served and stored like
any other, on a host field or as JSON). Roles are derived state of the write path
(``scim_provider.writes``), never written by a signal receiver:

* when the identity provider writes a user (POST, or PUT/PATCH of a role attribute),
  ``fold`` gives the user's role attributes their final value *before* the user is written,
  so that the user row is written once;
* when memberships change (members added or removed, a group deleted) or a group's name or
  role attribute changes, ``apply`` recomputes the roles of the users concerned after the
  group's write: each of their rows is written once.

The value the identity provider writes on the user (Okta sends ``OrganizationRole`` as a
user attribute too) is remembered as the user's *direct* role, apart from the computed one:
the user gets the highest of their groups' roles and their direct role, so that leaving the
last Admin group falls back to what the identity provider set, never keeps a stale Admin.
With neither, the user gets ``default`` (None: the attribute is cleared).

Cost: one query reads the memberships of the users concerned; when ``target`` maps to a
field of the user (or of a one-to-one profile), one query reads the current values and one
``UPDATE`` per distinct new value writes them, whatever the number of users, and one more
bumps their links' version. Targets kept as JSON or behind accessors are written user by
user through the adapter, once each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from . import signals
from .conf import scim_settings
from .mapping import Mapping, ResourcePath, get_value, set_value
from .models import ScimMembership, ScimUser
from .protocol.changes import Change
from .protocol.values import json_copy
from .registry import GROUP, USER, registry

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter
    from .adapters.users import UserAdapter
    from .writes import Write

CHUNK = 5000
DIRECT = "_direct"  # key of the link's JSON holding the roles the IdP set on the user


@dataclass(frozen=True, eq=False)
class RoleMapping:
    """One entry of ``ROLE_MAPPINGS``."""

    target: str
    roles: tuple[str, ...]
    source: str = "group_attribute"
    group_attribute: str | None = None
    names: tuple[tuple[str, str], ...] = ()
    match: str = "exact"
    multiple: bool = False
    default: Any = None

    @classmethod
    def from_setting(cls, entry: dict[str, Any]) -> RoleMapping:
        return cls(
            target=entry["target"],
            roles=tuple(entry["roles"]),
            source=entry.get("from", "group_attribute"),
            group_attribute=entry.get("group_attribute"),
            names=tuple((k.lower(), v) for k, v in (entry.get("names") or {}).items()),
            match=entry.get("match", "exact"),
            multiple=bool(entry.get("multiple", False)),
            default=entry.get("default"),
        )

    def canonical(self, role: Any) -> str | None:
        """``role`` spelled as in ``roles`` (case-insensitive), or None if it is not one."""
        if not isinstance(role, str):
            return None
        return next((r for r in self.roles if r.lower() == role.lower()), None)

    def granted_by(self, display_name: str, attributes: dict[str, Any]) -> set[str]:
        """The roles one group grants its members."""
        if self.source == "group_name":
            name = (display_name or "").lower()
            return {
                role
                for pattern, role in self.names
                if (pattern in name if self.match == "contains" else pattern == name)
                and self.canonical(role)
            }
        path = ResourcePath.parse(self.group_attribute, registry.resource_type(GROUP))
        value = get_value(attributes, path)
        values = value if isinstance(value, list) else [value]
        return {c for v in values if (c := self.canonical(_plain(v)))}

    def value(self, granted: set[str], direct: Any = None) -> Any:
        """The target value for a user whose groups grant ``granted`` and whose identity
        provider set ``direct`` on the user."""
        directs = direct if isinstance(direct, list) else [direct]
        granted = granted | {c for d in directs if (c := self.canonical(_plain(d)))}
        ordered = [role for role in self.roles if role in granted]
        if not ordered:
            return self.default
        return ordered if self.multiple else ordered[0]

    def depends_on(self, changed: set[str]) -> bool:
        """Whether a group change of the SCIM paths ``changed`` can change this role."""
        if self.source == "group_name":
            return "displayName" in changed
        wanted = (self.group_attribute or "").lower()
        return any(wanted == c.lower() or wanted.startswith(c.lower() + ":") for c in changed)


def _plain(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


def role_mappings() -> tuple[RoleMapping, ...]:
    return tuple(RoleMapping.from_setting(entry) for entry in scim_settings.ROLE_MAPPINGS)


def _sources(
    tenant_id: str, ids: list[int], mappings: tuple[RoleMapping, ...]
) -> tuple[list[dict[int, set[str]]], dict[int, dict[str, Any]]]:
    """For the host users ``ids`` of ``tenant_id``: the roles each mapping's groups grant
    them, and the direct roles recorded on their links (linked users only)."""
    granted: list[dict[int, set[str]]] = [defaultdict(set) for _ in mappings]
    direct: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        links = ScimUser.objects.filter(tenant_id=tenant_id, user_id__in=chunk)
        for user_id, values in links.values_list("user_id", f"attributes__{DIRECT}"):
            direct[user_id] = values if isinstance(values, dict) else {}
        rows = ScimMembership.objects.filter(
            user__tenant_id=tenant_id,
            user__user_id__in=chunk,
            group__deleted_at__isnull=True,
        ).values_list("user__user_id", "group__display_name", "group__attributes")
        for user_id, display_name, attributes in rows:
            for index, mapping in enumerate(mappings):
                granted[index][user_id] |= mapping.granted_by(display_name, attributes or {})
    return granted, direct


def send_now(signal, adapter: ResourceAdapter, **kwargs) -> None:
    signal.send(sender=type(adapter), adapter=adapter, **kwargs)


def recompute_roles(
    tenant_id: str, user_ids: Iterable[int], *, notify: Callable[..., None] = send_now
) -> None:
    """Re-evaluate every role mapping for the host users ``user_ids`` of ``tenant_id`` and
    write the values that changed (``notify`` receives ``roles_changed``)."""
    mappings = role_mappings()
    ids = sorted(set(user_ids))
    if not mappings or not ids:
        return
    granted, direct = _sources(tenant_id, ids, mappings)
    from .adapters import get_user_adapter

    adapter = get_user_adapter(tenant_id)
    for mapping, by_user in zip(mappings, granted, strict=True):
        values = {
            uid: mapping.value(by_user.get(uid, set()), direct.get(uid, {}).get(mapping.target))
            for uid in ids
            if uid in direct  # users linked in this tenant
        }
        changed = write_roles(adapter, mapping, values)
        if changed:
            notify(signals.roles_changed, adapter, target=mapping.target, values=changed)


def write_roles(adapter: UserAdapter, role_mapping: RoleMapping, values: dict[int, Any]) -> dict:
    """Write ``values`` ({host user pk: value}) to ``role_mapping.target``; return those
    that changed."""
    if not values:
        return {}
    path = ResourcePath.parse(role_mapping.target, adapter.resource_type)
    field_mapping = next((m for m in adapter.mappings if m.path == path), None)
    if field_mapping is not None and field_mapping.field and not role_mapping.multiple:
        return _bulk_write(adapter, field_mapping, values)
    return _write_each(adapter, path, values)


def _bulk_write(adapter: UserAdapter, mapping: Mapping, values: dict[int, Any]) -> dict[int, Any]:
    """Field-mapped targets: one read, then one UPDATE per distinct value."""
    user_model = adapter.model
    if mapping.relation:
        relation = user_model._meta.get_field(mapping.relation)
        model, key = relation.related_model, relation.field.attname
    else:
        model, key = user_model, user_model._meta.pk.attname
    column = mapping.model_field.attname
    rows = model._default_manager.filter(**{f"{key}__in": list(values)})
    current = dict(rows.values_list(key, column))
    # A missing profile row reads as the field's empty value.
    changed = {
        uid: value
        for uid, value in values.items()
        if mapping.fit(current.get(uid)) != mapping.fit(value)
    }
    if mapping.relation:
        missing = [uid for uid in changed if uid not in current]
        model._default_manager.bulk_create(
            [model(**{key: uid}) for uid in missing], ignore_conflicts=True
        )
    by_value: dict[Any, list[int]] = defaultdict(list)
    for uid, value in changed.items():
        by_value[mapping.fit(value)].append(uid)
    for value, uids in by_value.items():
        model._default_manager.filter(**{f"{key}__in": uids}).update(**{column: value})
    if changed:
        ScimUser.objects.filter(tenant_id=adapter.tenant_id, user_id__in=list(changed)).update(
            updated_at=timezone.now(), version=F("version") + 1
        )
    return changed


def _write_each(adapter: UserAdapter, path: ResourcePath, values: dict[int, Any]) -> dict[int, Any]:
    """Other targets: through the adapter's write, user by user (locked, each row once)."""
    from .writes import Write

    changed = {}
    links = adapter.locked(adapter.get_queryset(), True).filter(user_id__in=list(values))
    for link in links.order_by("pk"):
        current = adapter.to_resource(link)
        if get_value(current, path) == values[link.user_id]:
            continue
        resource = json_copy(current)
        set_value(resource, path, values[link.user_id])
        change = Change.between(current, resource, adapter.resource_type)
        adapter.update(Write(adapter, change, link))
        changed[link.user_id] = values[link.user_id]
    return changed


# Steps of the write path (scim_provider.writes) --------------------------------------------


def fold(write: Write) -> None:
    """Before a user is written by the identity provider: record the role attributes it set
    as the user's direct roles, and write their final value (with the user's groups) in
    the same write. Any other write is left alone."""
    adapter = write.adapter
    change = write.change
    if adapter.resource != USER or change is None:
        return
    mappings = [m for m in role_mappings() if change.created or change.touches(m.target)]
    if not mappings:
        return
    link = write.link
    recorded = dict((link.attributes or {}).get(DIRECT) or {}) if link is not None else {}
    granted: list[dict[int, set[str]]] = [{} for _ in mappings]
    if link is not None and link.pk:
        granted, _direct = _sources(adapter.tenant_id, [link.user_id], tuple(mappings))
    user_id = link.user_id if link is not None else None
    resource = json_copy(change.resource)
    for mapping, by_user in zip(mappings, granted, strict=True):
        path = ResourcePath.parse(mapping.target, adapter.resource_type)
        direct = get_value(change.resource, path)
        recorded[mapping.target] = direct
        set_value(resource, path, mapping.value(by_user.get(user_id, set()), direct))
    write.private[DIRECT] = recorded
    write.change = Change.between(change.current, resource, adapter.resource_type)


def apply(write: Write) -> None:
    """After a write: recompute the roles of the users whose groups changed (members added
    or removed; every member of a group whose name or role attribute changed)."""
    mappings = role_mappings()
    if not mappings:
        return
    users: set[int] = set()
    for change in write.members:
        users.update(change.added)
        users.update(change.removed)
    adapter, change = write.adapter, write.change
    if (
        adapter.resource == GROUP
        and change is not None
        and not change.created
        and any(mapping.depends_on(set(change.changed)) for mapping in mappings)
    ):
        members = ScimMembership.objects.filter(group=write.link).values_list(
            "user__user_id", flat=True
        )
        users.update(members)
    if adapter.resource == USER and write.link is not None:
        users.discard(write.link.user_id)  # its own write holds its roles (``fold``)
    recompute_roles(write.tenant_id, users, notify=write.notify)


__all__ = ["RoleMapping", "USER", "fold", "recompute_roles", "role_mappings", "write_roles"]
