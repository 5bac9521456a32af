from django.core.management.base import BaseCommand

from scim_provider import services


class Command(BaseCommand):
    help = "List SCIM tokens (never their secrets)."

    def add_arguments(self, parser):
        parser.add_argument("--active", action="store_true", help="Hide revoked tokens.")

    def handle(self, *args, active, **options):
        rows = [("ID", "PREFIX", "NAME", "STATUS", "TENANT", "LAST USED", "EXPIRES")]
        for token in services.list_tokens(include_revoked=not active):
            rows.append(
                (
                    str(token.pk),
                    token.display_prefix,
                    token.name,
                    token.status,
                    token.tenant_id or "-",
                    token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-",
                    token.expires_at.isoformat(timespec="seconds") if token.expires_at else "never",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
