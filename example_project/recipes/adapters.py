"""Host code the recipes name by import string (loaded after the app registry)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from scim_provider.adapters.groups import GroupAdapter

from .models import Team


class ArchivingTeamAdapter(GroupAdapter):
    """Soft-deletes the mirrored ``Team`` with its group (``role-extension``).

    ``GROUP_DELETE_MODE="soft"`` already unassigns every member (so roles are recomputed)
    and hides the group; the team is kept for history and marked ``archived_at``. A team
    whose group is pushed again is un-archived.
    """

    def retire_host_group(self, host, *, hard: bool) -> None:
        if hard:
            super().retire_host_group(host, hard=hard)
        elif host.archived_at is None:
            host.archived_at = timezone.now()
            host.save(update_fields=["archived_at"])

    def save_host_group(self, link, resource: dict[str, Any]):
        host = super().save_host_group(link, resource)
        if isinstance(host, Team) and host.archived_at is not None:
            host.archived_at = None
            host.save(update_fields=["archived_at"])
        return host
