"""The write path: what a SCIM request changes, in one place and in a fixed order.

POST, PUT, PATCH and DELETE (the views, ``/Me`` and Bulk, through ``operations``) all end
here with a ``Change`` the protocol core computed once. Inside the request's transaction:

1. ``operations`` has locked the link row *and the host row it maps* together before
   reading the current state (``SELECT ... FOR UPDATE OF`` both on PostgreSQL; SQLite runs
   ``IMMEDIATE`` transactions, one writer at a time), so a concurrent PATCH waits, then
   reads what this one wrote;
2. ``adapter.check(change)``: the deployment's policies refuse what they forbid;
3. ``roles.fold``: a user's own role attributes get their final value (from the role the
   identity provider set and the user's groups) before the user is written, so the user row
   is written once;
4. the adapter's write: the host row with ``update_fields`` (only the columns the request
   changed), the link row once (its version +1), a group's memberships;
5. derived state, each step computing its final value once, in this order (``STEPS``):
   the members of the mirrored host group, group mappings (installed by the self-service
   app), the roles of users whose groups changed, the cached counts;
6. the public signals (``scim_provider.signals``), each once, after every write, with the
   documented arguments. Receivers may still raise a ``ScimError`` to refuse the change.

A ``Write`` carries what happened from one stage to the next: the link written, whether it
was created or deleted, the member changes, and the notifications to send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from . import counts, roles, signals
from .protocol.changes import Change

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter
    from .adapters.groups import GroupAdapter
    from .models import ScimGroup


@dataclass
class MemberChange:
    """Members that joined or left one group in this request (host user primary keys).

    ``added``/``removed`` are the real changes (signals, roles, mappings); the mirror gets
    ``mirror_added``/``mirror_removed``, every member the request named, so that the host
    group converges even where it had drifted.
    """

    adapter: GroupAdapter
    group: ScimGroup
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    mirror_added: list[int] = field(default_factory=list)
    mirror_removed: list[int] = field(default_factory=list)


@dataclass
class Write:
    """One request's write of one resource, and what it caused."""

    adapter: ResourceAdapter
    change: Change | None = None
    link: Any = None
    created: bool = False  # the resource came to be (a new or a revived one)
    deleted: bool = False
    hard: bool = False  # deleted with its row
    #: Private keys (``_name``) to set in the link's JSON: state derived for this resource.
    private: dict[str, Any] = field(default_factory=dict)
    members: list[MemberChange] = field(default_factory=list)
    #: Signals to send once everything is written: (signal, sender, keyword arguments).
    notices: list[tuple[Signal, Any, dict[str, Any]]] = field(default_factory=list)

    @property
    def tenant_id(self) -> str:
        return self.adapter.tenant_id

    def notify(self, signal: Signal, adapter: Any = None, **kwargs: Any) -> None:
        """Queue ``signal`` from ``adapter`` (default: this write's): ``sender`` is the
        adapter's class and ``adapter`` the instance, as every SCIM signal documents."""
        adapter = adapter or self.adapter
        self.send_later(signal, type(adapter), adapter=adapter, **kwargs)

    def send_later(self, signal: Signal, sender: Any, **kwargs: Any) -> None:
        """Queue ``signal`` to be sent once the write and its derived state are done."""
        self.notices.append((signal, sender, kwargs))

    def members_changed(
        self,
        adapter: GroupAdapter,
        group: ScimGroup,
        *,
        added: Sequence[int] = (),
        removed: Sequence[int] = (),
        mirror_added: Sequence[int] | None = None,
        mirror_removed: Sequence[int] | None = None,
    ) -> None:
        """Record a member change of ``group`` (and queue ``members_added``/``_removed``)."""
        self.members.append(
            MemberChange(
                adapter,
                group,
                list(added),
                list(removed),
                list(added if mirror_added is None else mirror_added),
                list(removed if mirror_removed is None else mirror_removed),
            )
        )
        if removed:
            self.notify(signals.members_removed, adapter, group=group, user_ids=list(removed))
        if added:
            self.notify(signals.members_added, adapter, group=group, user_ids=list(added))

    @property
    def members_moved(self) -> bool:
        """Whether any member really joined or left a group."""
        return any(change.added or change.removed for change in self.members)


# Derived state ----------------------------------------------------------------------------


def mirror_members(write: Write) -> None:
    """The mirrored host groups get the member changes."""
    for change in write.members:
        change.adapter.mirror_members(change.group, change.mirror_added, change.mirror_removed)


#: The derived-state steps, in the order they run after the adapter's write. A slot holding
#: None is skipped: "group mappings" is filled by ``scim_provider.selfservice`` when that app
#: is installed (``install``).
STEPS: dict[str, Callable[[Write], None] | None] = {
    "host group members": mirror_members,
    "group mappings": None,
    "roles": roles.apply,
    "counts": counts.apply,
}


def install(slot: str, step: Callable[[Write], None]) -> None:
    """Fill the derived-state slot ``slot`` (an app's ``ready()``)."""
    if slot not in STEPS:
        raise ValueError(f"No write step {slot!r}; the steps are {', '.join(STEPS)}.")
    STEPS[slot] = step


def finish(write: Write) -> None:
    """Bring derived state up to date, then send the queued signals, once each."""
    for step in STEPS.values():
        if step is not None:
            step(write)
    for signal, sender, kwargs in write.notices:
        signal.send(sender=sender, **kwargs)


# The operations ---------------------------------------------------------------------------


def create(adapter: ResourceAdapter, change: Change) -> Any:
    """Provision a new resource; return its link."""
    write = Write(adapter, change)
    adapter.check(change)
    roles.fold(write)
    adapter.create(write)
    finish(write)
    return write.link


def update(adapter: ResourceAdapter, link: Any, change: Change) -> Any:
    """Write ``change`` over the (locked) ``link``; nothing at all when nothing changed."""
    write = Write(adapter, change, link)
    adapter.check(change)
    roles.fold(write)
    if not write.change.changed and not write.private:
        return link
    adapter.update(write)
    finish(write)
    return link


def delete(adapter: ResourceAdapter, link: Any) -> None:
    """Delete (or deactivate and hide, as the settings say) the (locked) ``link``."""
    write = Write(adapter, None, link, deleted=True)
    adapter.delete(write)
    finish(write)
