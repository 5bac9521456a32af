"""Send ``token_expiring`` for every active SCIM token that expires within N days.

Run it daily (cron, Celery beat...); hosts email their customers from a receiver of
``scim_provider.signals.token_expiring``. Rotated tokens are skipped: their expiry is the
rotation's grace period.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from scim_provider import services


class Command(BaseCommand):
    help = "Send the token_expiring signal for SCIM tokens expiring within --days days."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=14, help="Look this many days ahead (default 14)."
        )

    def handle(self, *args, days: int, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        found = services.notify_expiring_tokens(days)
        for token in found:
            self.stdout.write(
                f"{token.display_prefix}  {token.name}  tenant={token.tenant_id or '-'}  "
                f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{len(found)} token(s) expiring within {days} day(s) notified.")
        )
