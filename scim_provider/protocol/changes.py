"""What one write asks of one resource: the new state, the old one, and what differs.

The protocol core computes a ``Change`` once per request (``apply_patch`` for PATCH,
``Change.between`` for POST and PUT) and the write path passes it down unchanged: adapters,
derived state and signals all read the same ``changed`` set, and nothing diffs twice.

Paths are canonical (RFC 7643 §2.1 names, URN-qualified for extensions). Single-valued
complex attributes report their sub-attributes (``name.givenName``,
``urn:...:enterprise:2.0:User:manager.value``); every other attribute reports itself
(``displayName``, ``emails``). A delta attribute (a group's ``members``, changed as
add/remove deltas and never loaded whole) is reported whenever the request touched it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scim_provider.protocol.schemas import ResourceType
from scim_provider.protocol.values import json_equal

if TYPE_CHECKING:  # pragma: no cover
    from scim_provider.protocol.patch import MultiValueDelta

__all__ = ["Change", "changed_paths"]


def changed_paths(
    old: dict[str, Any],
    new: dict[str, Any],
    resource_type: ResourceType,
    *,
    skip: set[str] | frozenset[str] = frozenset(),
) -> set[str]:
    """Canonical paths whose value differs between ``old`` and ``new`` (``skip``: casefolded
    top-level names left out, the delta attributes)."""
    changed: set[str] = set()
    for schema in resource_type.all_schemas():
        core = schema is resource_type.schema
        prefix = "" if core else f"{schema.id}:"
        before = old if core else old.get(schema.id)
        after = new if core else new.get(schema.id)
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        for attribute in schema.attributes:
            name = prefix + attribute.name
            if name.casefold() in skip:
                continue
            was, now = before.get(attribute.name), after.get(attribute.name)
            if json_equal(was, now):
                continue
            if attribute.type == "complex" and not attribute.multi_valued:
                was = was if isinstance(was, dict) else {}
                now = now if isinstance(now, dict) else {}
                for sub in sorted(set(was) | set(now)):
                    if not json_equal(was.get(sub), now.get(sub)):
                        changed.add(f"{name}.{sub}")
            else:
                changed.add(name)
    return changed


@dataclass(frozen=True)
class Change:
    """One request's change to one resource.

    ``resource`` is the whole new state (normalized, validated) without the delta attribute;
    ``current`` the stored state it replaces (None for a new resource); ``changed`` the
    canonical paths that differ; ``delta`` the change of the delta attribute, if any.
    """

    resource: dict[str, Any]
    current: dict[str, Any] | None
    changed: frozenset[str]
    delta: MultiValueDelta | None = field(default=None)

    @classmethod
    def between(
        cls,
        current: dict[str, Any] | None,
        resource: dict[str, Any],
        resource_type: ResourceType,
        *,
        delta: MultiValueDelta | None = None,
        delta_name: str | None = None,
    ) -> Change:
        """The change from ``current`` (None: nothing) to ``resource``; ``delta`` is the
        change of the delta attribute ``delta_name``, reported as changed when given."""
        skip = frozenset({delta_name.casefold()}) if delta_name else frozenset()
        changed = changed_paths(current or {}, resource, resource_type, skip=skip)
        if delta is not None and delta_name:
            changed.add(delta_name)
        return cls(resource, current, frozenset(changed), delta)

    @property
    def created(self) -> bool:
        return self.current is None

    def touches(self, path: str) -> bool:
        """Whether ``path`` (``name``, ``name.givenName``, a URN path) or a part of it, or
        something containing it, changed; case-insensitive, as SCIM names are."""
        wanted = path.casefold()
        for changed in self.changed:
            have = changed.casefold()
            if have == wanted or have.startswith(wanted + ".") or wanted.startswith(have + "."):
                return True
            if have.startswith(wanted + ":") or wanted.startswith(have + ":"):
                return True
        return False

    def with_resource(self, resource: dict[str, Any], resource_type: ResourceType) -> Change:
        """This change with ``resource`` as the new state (``changed`` computed again)."""
        delta_name = None
        if self.delta is not None:
            delta_name = next((c for c in self.changed if c.casefold() == "members"), None)
        fresh = Change.between(self.current, resource, resource_type)
        changed = set(fresh.changed)
        if delta_name:
            changed.add(delta_name)
        return Change(resource, self.current, frozenset(changed), self.delta)
