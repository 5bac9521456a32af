"""``manage.py scim_link_users``: give existing host users a SCIM link before turning SCIM on."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from scim_provider import services
from scim_provider.management import arguments


class Command(BaseCommand):
    help = (
        "Link every existing user without a SCIM identity, so that the identity provider's "
        "first import or userName lookup finds them instead of creating duplicates. "
        "Idempotent: a second run links nothing. Staff and superusers are never linked, nor "
        "(DOMAIN_POLICY) users outside the tenant's verified domains. With --tenant, every "
        "user linked (with --dry-run: to be linked) is listed: run it with --dry-run first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Primary key of the tenant to link the users to.")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Users per transaction (default 500)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be linked; write nothing."
        )

    def handle(self, *args, tenant, batch_size, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        tenant_obj = arguments.tenant(tenant)
        verbosity = options.get("verbosity", 1)
        result = services.link_existing_users(
            tenant=tenant_obj,
            batch_size=batch_size,
            dry_run=dry_run,
            progress=self.progress if verbosity >= 1 else None,
        )
        if verbosity >= 1 and result.total:
            self.stderr.write("")  # end the progress line
        for username in result.skipped:
            self.stderr.write(f"Skipped {username!r}: empty userName or already taken.")
        for username, reason in result.refused:
            self.stderr.write(f"Refused {username!r}: {reason}.")
        verb = "Would link" if dry_run else "Linked"
        if tenant_obj is not None and (verbosity >= 1) and result.names:
            self.stdout.write(f"{verb} to {tenant_obj}:")
            for username in result.names:
                self.stdout.write(f"  {username}")
        self.stdout.write(
            f"{verb} {result.linked} user(s); skipped {len(result.skipped)}; "
            f"refused {len(result.refused)}; {result.total} were unlinked."
        )

    def progress(self, done: int, total: int) -> None:
        """A one-line progress bar on stderr, redrawn after each batch."""
        width = 30
        filled = width * done // total if total else width
        percent = 100 * done // total if total else 100
        bar = "#" * filled + "-" * (width - filled)
        self.stderr.write(f"\rLinking users [{bar}] {done}/{total} ({percent}%)", ending="")
        self.stderr.flush()
