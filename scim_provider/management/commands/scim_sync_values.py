"""``manage.py scim_sync_values``: rewrite the stored values of multi-valued attributes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from scim_provider.multivalued import rebuild


class Command(BaseCommand):
    help = (
        "Rewrite the rows filters read the values of multi-valued attributes from (emails, "
        "roles...), from every user and group as GET returns them now: after changing the "
        "host's mapped fields outside SCIM (a user's email), USER_FIELDS or the attribute "
        "registry. One transaction."
    )

    def handle(self, *args, **options):
        written = rebuild()
        if options.get("verbosity", 1) >= 1:
            self.stdout.write(f"Wrote {written} value(s).")
