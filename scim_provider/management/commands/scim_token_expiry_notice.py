"""Send ``token_expiring`` for active SCIM tokens that expire within N days, once per threshold.

Run it daily (cron, Celery beat...); hosts email their customers from a receiver of
``scim_provider.signals.token_expiring``. ``--days 30 7 1`` announces a token once when it
is within 30 days of expiry, again within 7, again within 1; a run that finds nothing new
sends nothing (each notice is remembered as a ``token_expiring`` audit entry). ``--force``
sends again. Rotated tokens are skipped: their expiry is the rotation's grace period.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from scim_provider import services
from scim_provider.management import arguments


class Command(BaseCommand):
    help = (
        "Send the token_expiring signal for SCIM tokens expiring within --days days, once per "
        "token and threshold."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            nargs="+",
            default=[14],
            help="Thresholds in days: look this far ahead and announce each token once per "
            "threshold it reaches (default 14; e.g. --days 30 7 1).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Send the notices again, even for tokens already announced.",
        )

    def handle(self, *args, days: list[int], force: bool, **options):
        for value in days:
            arguments.days(value, "--days", minimum=0)
        horizon = max(days)
        due = len(services.tokens_expiring(horizon))
        sent = services.notify_expiring_tokens(days, force=force)
        for token in sent:
            self.stdout.write(
                f"{token.display_prefix}  {token.name}  tenant={token.tenant_id or '-'}  "
                f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC"
            )
        skipped = max(due - len(sent), 0)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(sent)} token(s) expiring within {horizon} day(s) notified; "
                f"{skipped} already notified."
            )
        )
