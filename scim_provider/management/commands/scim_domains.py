"""``manage.py scim_domains``: list, add (optionally verified) and remove a tenant's domains."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from scim_provider import domains, services


class Command(BaseCommand):
    help = (
        "The email domains of a tenant (DOMAIN_POLICY): --list (the default), --add DOMAIN "
        "(--verified to vouch for it as staff, else the DNS TXT record to publish is printed), "
        "--verify DOMAIN (look the TXT record up now), --remove DOMAIN."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Primary key of the tenant.")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--list", action="store_true", help="List the domains (default).")
        action.add_argument("--add", metavar="DOMAIN", help="Claim DOMAIN for the tenant.")
        action.add_argument("--verify", metavar="DOMAIN", help="Check DOMAIN's TXT record now.")
        action.add_argument("--remove", metavar="DOMAIN", help="Give DOMAIN up.")
        parser.add_argument(
            "--verified",
            action="store_true",
            help="With --add: mark the domain verified without the DNS proof (staff).",
        )

    def handle(self, *args, tenant, add, verify, remove, verified, **options):
        if verified and not add:
            raise CommandError("--verified goes with --add DOMAIN.")
        try:
            tenant_obj = services.find_tenant(tenant)
            if add:
                row = domains.add_domain(tenant_obj, add, verified=verified)
                self.describe(row)
            elif verify:
                self.describe(domains.verify_domain(domains.get_domain(tenant_obj, verify)))
            elif remove:
                row = domains.get_domain(tenant_obj, remove)
                domains.remove_domain(row)
                self.stdout.write(f"Removed {row.domain}.")
            else:
                rows = list(domains.tenant_domains(tenant_obj))
                for row in rows:
                    self.describe(row)
                if not rows:
                    self.stdout.write(f"{tenant_obj} has no domains.")
        except (LookupError, domains.DomainError) as exc:
            raise CommandError(str(exc)) from exc

    def describe(self, row) -> None:
        if row.is_verified:
            when = row.verified_at.strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{row.domain}: verified ({row.get_verified_by_display()}, {when})")
        else:
            self.stdout.write(
                f"{row.domain}: not verified; publish the DNS record "
                f'{row.domain}. TXT "{domains.txt_record(row)}"'
            )
