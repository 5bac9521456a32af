"""``manage.py scim_groupmaps_resync``: re-apply the group mappings to the host entities.

Run it after registering a new mappable kind, or to repair entities edited by hand: every
member of a mapped group is put (back) into the entities the group maps to. It only adds;
see ``scim_provider.selfservice.groupmaps.resync_tenants``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from scim_provider.management import arguments
from scim_provider.models import tenant_key
from scim_provider.selfservice import groupmaps


class Command(BaseCommand):
    help = (
        "Re-apply every group mapping: members of mapped groups are added to the mapped "
        "entities (teams, roles...). Only adds; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant", help="Primary key of the tenant to resync (default: every tenant)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be applied; change nothing."
        )

    def handle(self, *args, tenant, dry_run, **options):
        tenant_ids = None if tenant is None else [tenant_key(arguments.tenant(tenant))]
        reports = groupmaps.resync_tenants(tenant_ids, dry_run=dry_run)
        verb = "Would apply" if dry_run else "Applied"
        for report in reports:
            label = report.tenant_id or "-"
            for (kind, target_id), users in sorted(report.applied.items()):
                self.stdout.write(f"tenant={label}  {kind}:{target_id}  {users} user(s)")
            for kind, target_id in report.skipped:
                self.stderr.write(
                    f"tenant={label}  {kind}:{target_id}  skipped: kind not registered "
                    "or entity not found"
                )
        entities = sum(len(r.applied) for r in reports)
        users = sum(r.users for r in reports)
        skipped = sum(len(r.skipped) for r in reports)
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {entities} mapping target(s) to {users} membership(s) in "
                f"{len(reports)} tenant(s); skipped {skipped}."
            )
        )
