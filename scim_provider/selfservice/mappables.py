"""Host entities that pushed groups can be mapped to: teams, sub-organizations, roles...

The host registers each kind once, explicitly, from its ``AppConfig.ready()``::

    from scim_provider.selfservice import mappables

    mappables.register(
        "team",
        label="Team",
        queryset=lambda tenant_id: Team.objects.filter(organization_id=tenant_id),
        add_members=lambda team, user_ids: team.members.add(*user_ids),
        remove_members=lambda team, user_ids: team.members.remove(*user_ids),
    )

or, for a many-to-many to the user model, ``mappables.register_m2m("team", Team, "members",
queryset=...)``. ``queryset(tenant_id)`` is what a tenant's admin may map to (and must be
scoped to the tenant); ``add_members``/``remove_members`` receive one entity and a list of
host user primary keys, and are called once per entity per change, never per member.
``rename(entity, group)``, optional, is called when a group mapped directly to the entity
is renamed by the identity provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

KIND_MAX_LENGTH = 64


@dataclass(frozen=True)
class Mappable:
    """One kind of host entity that groups can be mapped to."""

    kind: str
    label: str
    queryset: Callable[[str], models.QuerySet]
    add_members: Callable[[Any, list], None]
    remove_members: Callable[[Any, list], None]
    rename: Callable[[Any, Any], None] | None = None

    def entities(self, tenant_id: str) -> models.QuerySet:
        return self.queryset(tenant_id)

    def get(self, tenant_id: str, target_id: str) -> Any | None:
        """The entity ``target_id`` if this tenant may map to it, else None."""
        queryset = self.entities(tenant_id)
        try:
            key = queryset.model._meta.pk.to_python(target_id)
        except Exception:  # a malformed id is simply not found
            return None
        return queryset.filter(pk=key).first()

    def in_bulk(self, tenant_id: str, target_ids: Iterable[str]) -> dict[str, Any]:
        """``{target_id: entity}`` for the ids this tenant may map to: one query."""
        queryset = self.entities(tenant_id)
        keys = []
        for target_id in target_ids:
            try:
                keys.append(queryset.model._meta.pk.to_python(target_id))
            except Exception:
                continue
        return {str(e.pk): e for e in queryset.filter(pk__in=keys)}


_registry: dict[str, Mappable] = {}


def register(
    kind: str,
    *,
    queryset: Callable[[str], models.QuerySet],
    add_members: Callable[[Any, list], None],
    remove_members: Callable[[Any, list], None],
    label: str | None = None,
    rename: Callable[[Any, Any], None] | None = None,
) -> Mappable:
    """Make ``kind`` mappable; registering a kind again replaces it.

    Group mappings are applied by the ``scim_provider.selfservice`` app: it must be in
    ``INSTALLED_APPS`` (``ImproperlyConfigured`` otherwise, rather than mappings that
    silently never apply).
    """
    if not django_apps.is_installed("scim_provider.selfservice"):
        raise ImproperlyConfigured(
            "Add 'scim_provider.selfservice' to INSTALLED_APPS to map pushed groups to "
            f"{kind!r}: that app applies group mappings."
        )
    if not kind or len(kind) > KIND_MAX_LENGTH or not kind.replace("_", "").isalnum():
        raise ValueError(
            f"A mappable kind is a short identifier (letters, digits, _); got {kind!r}."
        )
    mappable = Mappable(
        kind=kind,
        label=str(label or kind.replace("_", " ").capitalize()),
        queryset=queryset,
        add_members=add_members,
        remove_members=remove_members,
        rename=rename,
    )
    _registry[kind] = mappable
    return mappable


def register_m2m(
    kind: str,
    model: type[models.Model],
    field: str,
    *,
    queryset: Callable[[str], models.QuerySet] | None = None,
    label: str | None = None,
    rename_field: str | None = None,
) -> Mappable:
    """Register ``model`` whose many-to-many ``field`` holds the members (``Team.members``).

    ``queryset`` defaults to every row of ``model`` (scope it to the tenant when tenants
    share the table). With ``rename_field``, renaming a directly mapped group renames the
    entity to match.
    """

    def add(entity, user_ids):
        getattr(entity, field).add(*user_ids)

    def remove(entity, user_ids):
        getattr(entity, field).remove(*user_ids)

    def rename(entity, group):
        setattr(entity, rename_field, group.display_name)
        entity.save(update_fields=[rename_field])

    return register(
        kind,
        label=label or str(model._meta.verbose_name).capitalize(),
        queryset=queryset or (lambda tenant_id: model._default_manager.all()),
        add_members=add,
        remove_members=remove,
        rename=rename if rename_field else None,
    )


def unregister(kind: str) -> None:
    _registry.pop(kind, None)


def get(kind: str) -> Mappable | None:
    return _registry.get(kind)


def all_mappables() -> list[Mappable]:
    return list(_registry.values())


def clear() -> None:
    """Forget every registration (tests)."""
    _registry.clear()
