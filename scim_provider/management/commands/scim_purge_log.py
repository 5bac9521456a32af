"""``manage.py scim_purge_log``: delete old request log entries (run it daily from cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from scim_provider.conf import scim_settings
from scim_provider.management import arguments
from scim_provider.requestlog import purge


class Command(BaseCommand):
    help = "Delete SCIM request log entries older than REQUEST_LOG_MAX_AGE_DAYS (or --older-than)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="Age in days; default: SCIM_PROVIDER['REQUEST_LOG_MAX_AGE_DAYS'].",
        )
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the entries, delete nothing."
        )

    def handle(self, *args, older_than=None, batch_size=1000, dry_run=False, **options):
        days = scim_settings.REQUEST_LOG_MAX_AGE_DAYS if older_than is None else older_than
        if days is None:
            self.stdout.write("REQUEST_LOG_MAX_AGE_DAYS is None and no --older-than: kept all.")
            return
        arguments.days(days, "--older-than", minimum=0)
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if dry_run:
            count = purge(days, dry_run=True)
            self.stdout.write(
                f"{count} request log entries older than {days} days would be deleted."
            )
            return
        deleted = purge(
            days,
            batch_size=batch_size,
            progress=lambda n: self.stdout.write(f"Deleted {n} so far..."),
        )
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {deleted} request log entries older than {days} days.")
        )
