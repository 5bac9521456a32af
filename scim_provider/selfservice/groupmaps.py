"""Group mappings: pushed groups -> host entities, with reference-counted membership.

A customer admin maps a pushed group (``ScimGroup``) to host entities that the host
registered as mappable (``mappables.register``), directly or by rules on the group's
``displayName`` (``ScimGroupRule``), re-evaluated when a group is pushed or renamed. The
mapping rows (``ScimGroupMapping``) are the whole state: a user belongs in an entity when
at least one live group they are a member of is mapped there. That is the reference count
of TestMu AI's guide (004):

=============================  ===========================================================
identity provider              effect
=============================  ===========================================================
push a group                   group created, rules evaluated, members synced
add a member                   member added to every mapped entity
remove a member                removed from an entity only if no other group maps them
                               there; roles recomputed
rename a group                 rules re-evaluated; ``rename`` of directly mapped entities
delete/unlink a group          members unassigned the same way; its mappings removed
=============================  ===========================================================

The receivers do nothing, and query nothing, while no kind is registered.

Every change reduces to ``sync(tenant, {(kind, target_id): user ids concerned})``: for each
entity one query finds which of those users some live mapped group still covers, then one
``add_members`` and one ``remove_members`` call (a constant number of queries per entity,
whatever the number of members, up to ``CHUNK`` ids per query). Users who are members of
an entity without any mapped group (added by hand in the host) are never touched, unless
they are also in a mapped group and leave it.
"""

from __future__ import annotations

import fnmatch
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from .. import services, signals
from ..models import ScimAuditEntry, ScimGroup, ScimGroupMapping, ScimGroupRule, ScimMembership
from . import mappables

if TYPE_CHECKING:  # pragma: no cover
    from ..writes import Write

logger = logging.getLogger("scim_provider")

CHUNK = 5000
Target = tuple[str, str]  # (kind, target_id)


class MappingError(ValueError):
    """An invalid mapping or rule; the message is meant for the admin."""


# Rules ----------------------------------------------------------------------------------


def rule_matches(match: str, pattern: str, display_name: str) -> bool:
    """Whether a rule ``(match, pattern)`` matches ``display_name``, case-insensitively.

    No regular expressions: patterns come from customer admins, and a regex can take
    exponential time; ``glob`` (``*``, ``?``, ``[abc]``) covers the cases.
    """
    name, pattern = (display_name or "").lower(), (pattern or "").lower()
    if match == ScimGroupRule.EXACT:
        return name == pattern
    if match == ScimGroupRule.CONTAINS:
        return pattern in name
    if match == ScimGroupRule.PREFIX:
        return name.startswith(pattern)
    if match == ScimGroupRule.GLOB:
        return fnmatch.fnmatchcase(name, pattern)
    raise MappingError(f"Unknown match {match!r}.")


# The engine -------------------------------------------------------------------------------


def members_of(group_ids: Iterable[int]) -> set[int]:
    """Host user primary keys of the members of ``group_ids``: one query."""
    ids = sorted(set(group_ids))
    if not ids:
        return set()
    rows = ScimMembership.objects.filter(group_id__in=ids).values_list("user__user_id", flat=True)
    return set(rows)


def targets_of(group: ScimGroup) -> set[Target]:
    rows = ScimGroupMapping.objects.filter(group=group).values_list("kind", "target_id")
    return set(rows)


def covered(tenant_id: str, target: Target, user_ids: list[int]) -> set[int]:
    """Of ``user_ids``, those a live group mapped to ``target`` still holds."""
    kind, target_id = target
    found: set[int] = set()
    for start in range(0, len(user_ids), CHUNK):
        rows = ScimMembership.objects.filter(
            user__tenant_id=tenant_id,
            user__user_id__in=user_ids[start : start + CHUNK],
            group__tenant_id=tenant_id,
            group__deleted_at__isnull=True,
            group__mappings__kind=kind,
            group__mappings__target_id=target_id,
        ).values_list("user__user_id", flat=True)
        found.update(rows)
    return found


def send_now(signal, sender, **kwargs) -> None:
    signal.send(sender=sender, **kwargs)


def sync(
    tenant_id: str,
    changes: dict[Target, set[int]],
    *,
    recompute: bool = True,
    notify: Callable[..., None] | None = None,
) -> dict[Target, tuple[list, list]]:
    """Bring each entity's membership in line with its mapped groups, for the users concerned.

    Then roles are recomputed for them (``roles.recompute_roles``) unless ``recompute`` is
    False (membership changes from the identity provider: the write path's "roles" step
    does it). ``notify(signal, sender, **kwargs)`` receives ``mapping_applied`` (default:
    sent at once; the write path queues it with the request's other signals).
    Returns ``{target: (added, removed)}``. Entities whose kind is not registered (any more)
    or that the tenant may not map to are skipped with a warning.
    """
    results: dict[Target, tuple[list, list]] = {}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, target_id in changes:
        by_kind[kind].append(target_id)
    touched: set[int] = set()
    for kind, target_ids in by_kind.items():
        mappable = mappables.get(kind)
        if mappable is None:
            logger.warning("SCIM group mapping to unregistered kind %r skipped", kind)
            continue
        entities = mappable.in_bulk(tenant_id, target_ids)
        for target_id in target_ids:
            user_ids = sorted(changes[(kind, target_id)])
            entity = entities.get(target_id)
            if entity is None:
                logger.warning("SCIM group mapping to missing %s %r skipped", kind, target_id)
                continue
            if not user_ids:
                continue
            keep = covered(tenant_id, (kind, target_id), user_ids)
            added = sorted(keep)
            removed = sorted(set(user_ids) - keep)
            if added:
                mappable.add_members(entity, added)
            if removed:
                mappable.remove_members(entity, removed)
            touched.update(user_ids)
            results[(kind, target_id)] = (added, removed)
            (notify or send_now)(
                signals.mapping_applied,
                mappable,
                tenant_id=tenant_id,
                kind=kind,
                target_id=target_id,
                entity=entity,
                added=added,
                removed=removed,
            )
    if touched and recompute:
        from ..roles import recompute_roles

        recompute_roles(tenant_id, touched)
    return results


def resync_plan(tenant_id: str) -> dict[Target, set[int]]:
    """``{(kind, target_id): host user ids}``: who the tenant's live mapped groups put in each
    entity (2 queries). What ``resync`` applies."""
    rows = ScimGroupMapping.objects.filter(
        tenant_id=tenant_id, group__deleted_at__isnull=True
    ).values_list("kind", "target_id", "group_id")
    groups_by_target: dict[Target, set[int]] = defaultdict(set)
    for kind, target_id, group_id in rows:
        groups_by_target[(kind, target_id)].add(group_id)
    if not groups_by_target:
        return {}
    members: dict[int, set[int]] = defaultdict(set)
    all_groups = sorted(set().union(*groups_by_target.values()))
    for start in range(0, len(all_groups), CHUNK):
        chunk = all_groups[start : start + CHUNK]
        for group_id, user_id in ScimMembership.objects.filter(group_id__in=chunk).values_list(
            "group_id", "user__user_id"
        ):
            members[group_id].add(user_id)
    return {
        target: set().union(*(members[g] for g in group_ids))
        for target, group_ids in groups_by_target.items()
    }


def resync(tenant_id: str) -> dict[Target, tuple[list, list]]:
    """Re-apply every mapping of the tenant to every member of the mapped groups (e.g. after
    registering a new kind, or to repair entities changed by hand)."""
    return sync(tenant_id, resync_plan(tenant_id))


@dataclass
class ResyncReport:
    """What ``resync_tenants`` did (or, with ``dry_run``, would do) for one tenant.

    ``applied`` maps each entity (``(kind, target_id)``) to the number of users the mapped
    groups put there; ``skipped`` lists the entities whose kind is not registered or that
    the tenant may no longer map to (left alone, as ``sync`` does).
    """

    tenant_id: str
    applied: dict[Target, int] = field(default_factory=dict)
    skipped: list[Target] = field(default_factory=list)

    @property
    def users(self) -> int:
        return sum(self.applied.values())


def mapped_tenant_ids() -> list[str]:
    """The tenants that have at least one group mapping, sorted."""
    rows = ScimGroupMapping.objects.values_list("tenant_id", flat=True).distinct()
    return sorted(set(rows))


def resync_tenants(
    tenant_ids: Iterable[str] | None = None, *, dry_run: bool = False
) -> list[ResyncReport]:
    """``resync`` each of ``tenant_ids`` (default: every tenant with a mapping), each in its
    own transaction; with ``dry_run``, only report what it would apply and skip.

    Resyncing only adds: every user it considers is a member of a mapped group, so nobody
    leaves an entity. Roles are recomputed for the users concerned (not in a dry run).
    """
    ids = mapped_tenant_ids() if tenant_ids is None else [str(t) for t in tenant_ids]
    reports = []
    for tenant_id in ids:
        plan = resync_plan(tenant_id)
        report = ResyncReport(tenant_id)
        by_kind: dict[str, list[str]] = defaultdict(list)
        for kind, target_id in plan:
            by_kind[kind].append(target_id)
        for kind, target_ids in by_kind.items():
            mappable = mappables.get(kind)
            found = mappable.in_bulk(tenant_id, target_ids) if mappable is not None else {}
            for target_id in target_ids:
                target = (kind, target_id)
                if target_id in found:
                    report.applied[target] = len(plan[target])
                else:
                    report.skipped.append(target)
        if not dry_run:
            with transaction.atomic():
                sync(tenant_id, plan)
        reports.append(report)
    return reports


def evaluate_rules(group: ScimGroup) -> set[Target]:
    """Make the rule-made mappings of ``group`` match the rules; return targets that changed."""
    rules = list(ScimGroupRule.objects.filter(tenant_id=group.tenant_id))
    wanted = {r.pk: r for r in rules if rule_matches(r.match, r.pattern, group.display_name)}
    existing = dict(
        ScimGroupMapping.objects.filter(group=group, rule__isnull=False).values_list(
            "rule_id", "pk"
        )
    )
    stale = [pk for rule_id, pk in existing.items() if rule_id not in wanted]
    fresh = [rule for rule_id, rule in wanted.items() if rule_id not in existing]
    changed: set[Target] = set()
    if stale:
        gone = ScimGroupMapping.objects.filter(pk__in=stale)
        changed.update(gone.values_list("kind", "target_id"))
        gone.delete()
    if fresh:
        ScimGroupMapping.objects.bulk_create(
            [
                ScimGroupMapping(
                    tenant_id=group.tenant_id,
                    group=group,
                    kind=r.kind,
                    target_id=r.target_id,
                    rule=r,
                )
                for r in fresh
            ]
        )
        changed.update((r.kind, r.target_id) for r in fresh)
    return changed


# Operations of the admin ---------------------------------------------------------------------


def _check_target(tenant_id: str, kind: str, target_id: str):
    mappable = mappables.get(kind)
    if mappable is None:
        raise MappingError(f"{kind!r} is not something groups can be mapped to.")
    entity = mappable.get(tenant_id, str(target_id))
    if entity is None:
        raise MappingError(f"No {mappable.label} {target_id!r} in this account.")
    return mappable, entity


def tenant_groups(tenant_id: str):
    """The live pushed groups of the tenant, by name."""
    return ScimGroup.objects.filter(tenant_id=tenant_id, deleted_at__isnull=True).order_by(
        "display_name_key", "pk"
    )


def get_group(tenant_id: str, group_id) -> ScimGroup:
    """A live group of the tenant by SCIM id or primary key; ``MappingError`` otherwise."""
    groups = tenant_groups(tenant_id)
    text = str(group_id)
    group = None
    if text.isdigit():
        group = groups.filter(pk=int(text)).first()
    else:
        import uuid

        try:
            group = groups.filter(scim_id=uuid.UUID(text)).first()
        except ValueError:
            group = None
    if group is None:
        raise MappingError(f"No pushed group {group_id!r} in this account.")
    return group


def map_group(
    tenant_id: str,
    group: ScimGroup,
    kind: str,
    target_id: str,
    *,
    actor: services.Actor | None = None,
) -> tuple[ScimGroupMapping, bool]:
    """Map ``group`` directly to an entity and add its members there at once."""
    if group.tenant_id != tenant_id or group.deleted_at is not None:
        raise MappingError("No such pushed group in this account.")
    mappable, entity = _check_target(tenant_id, kind, target_id)
    target_id = str(entity.pk)
    with transaction.atomic():
        mapping, created = ScimGroupMapping.objects.get_or_create(
            group=group,
            kind=kind,
            target_id=target_id,
            rule=None,
            defaults={"tenant_id": tenant_id},
        )
        if created:
            sync(tenant_id, {(kind, target_id): members_of([group.pk])})
            services.audit(
                tenant_id,
                ScimAuditEntry.MAPPING_ADDED,
                actor,
                group=group.display_name,
                target=f"{mappable.label}: {entity}",
            )
    return mapping, created


def unmap_group(
    tenant_id: str, mapping_id, *, actor: services.Actor | None = None
) -> ScimGroupMapping:
    """Remove a direct mapping; members no other mapped group holds leave the entity."""
    with transaction.atomic():
        mapping = (
            ScimGroupMapping.objects.select_related("group")
            .filter(tenant_id=tenant_id, pk=mapping_id, rule__isnull=True)
            .first()
        )
        if mapping is None:
            raise MappingError("No such mapping in this account.")
        target = (mapping.kind, mapping.target_id)
        mapping.delete()
        sync(tenant_id, {target: members_of([mapping.group_id])})
        services.audit(
            tenant_id,
            ScimAuditEntry.MAPPING_REMOVED,
            actor,
            group=mapping.group.display_name,
            target=f"{mapping.kind}:{mapping.target_id}",
        )
    return mapping


def add_rule(
    tenant_id: str,
    match: str,
    pattern: str,
    kind: str,
    target_id: str,
    *,
    actor: services.Actor | None = None,
) -> ScimGroupRule:
    """Add a rule, map every live group it matches, and add their members at once."""
    if match not in dict(ScimGroupRule.MATCHES):
        raise MappingError(f"Unknown match {match!r}.")
    pattern = (pattern or "").strip()
    if not pattern:
        raise MappingError("The pattern must not be empty.")
    mappable, entity = _check_target(tenant_id, kind, target_id)
    with transaction.atomic():
        rule = ScimGroupRule.objects.create(
            tenant_id=tenant_id, match=match, pattern=pattern, kind=kind, target_id=str(entity.pk)
        )
        matched = [
            pk
            for pk, name in tenant_groups(tenant_id).values_list("pk", "display_name")
            if rule_matches(match, pattern, name)
        ]
        ScimGroupMapping.objects.bulk_create(
            [
                ScimGroupMapping(
                    tenant_id=tenant_id, group_id=pk, kind=kind, target_id=rule.target_id, rule=rule
                )
                for pk in matched
            ]
        )
        sync(tenant_id, {(kind, rule.target_id): members_of(matched)})
        services.audit(
            tenant_id,
            ScimAuditEntry.RULE_ADDED,
            actor,
            rule=f"displayName {rule.get_match_display()} {pattern!r}",
            target=f"{mappable.label}: {entity}",
            groups=len(matched),
        )
    return rule


def remove_rule(tenant_id: str, rule_id, *, actor: services.Actor | None = None) -> ScimGroupRule:
    """Remove a rule and the mappings it made; members no other group holds leave."""
    with transaction.atomic():
        rule = ScimGroupRule.objects.filter(tenant_id=tenant_id, pk=rule_id).first()
        if rule is None:
            raise MappingError("No such rule in this account.")
        group_ids = list(rule.mappings.values_list("group_id", flat=True))
        users = members_of(group_ids)
        rule.delete()
        sync(tenant_id, {(rule.kind, rule.target_id): users})
        services.audit(
            tenant_id,
            ScimAuditEntry.RULE_REMOVED,
            actor,
            rule=f"displayName {rule.get_match_display()} {rule.pattern!r}",
            target=f"{rule.kind}:{rule.target_id}",
        )
    return rule


# The write path's step: what the identity provider does ----------------------------------


def apply(write: Write) -> None:
    """Step "group mappings" of ``scim_provider.writes``, after the group's write: a new
    group's rules, its members' entities, a rename's rules and entity names, a deleted
    group's mappings (its members were removed first, so entities are already in line).
    Does nothing, and queries nothing, while no kind is registered."""
    if not mappables.all_mappables():
        return
    change, group = write.change, write.link
    is_group = isinstance(group, ScimGroup)
    if is_group and write.created:
        evaluate_rules(group)  # before the members' sync below, which follows the mappings
    for member_change in write.members:
        targets = targets_of(member_change.group)
        users = set(member_change.added) | set(member_change.removed)
        if targets and users:
            sync(
                member_change.group.tenant_id,
                dict.fromkeys(targets, users),
                recompute=False,
                notify=write.send_later,
            )
    renaming = change is not None and any(c.lower() == "displayname" for c in change.changed)
    if is_group and renaming and not write.created:
        renamed(group, notify=write.send_later)
    if is_group and write.deleted and not write.hard:
        ScimGroupMapping.objects.filter(group=group).delete()


def renamed(group: ScimGroup, *, notify: Callable[..., None]) -> None:
    """A group's displayName changed: its rules again, and the directly mapped entities'
    ``rename``."""
    targets = evaluate_rules(group)
    if targets:
        users = members_of([group.pk])
        sync(group.tenant_id, dict.fromkeys(targets, users), recompute=False, notify=notify)
    direct = ScimGroupMapping.objects.filter(group=group, rule__isnull=True).values_list(
        "kind", "target_id"
    )
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, target_id in direct:
        by_kind[kind].append(target_id)
    for kind, target_ids in by_kind.items():
        mappable = mappables.get(kind)
        if mappable is None or mappable.rename is None:
            continue
        for entity in mappable.in_bulk(group.tenant_id, target_ids).values():
            mappable.rename(entity, group)
