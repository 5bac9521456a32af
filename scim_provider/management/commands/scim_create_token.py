from django.core.management.base import BaseCommand, CommandError

from scim_provider import services
from scim_provider.management import arguments
from scim_provider.models import get_token_model


class Command(BaseCommand):
    help = "Create a SCIM token. The plaintext token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'Okta'.")
        parser.add_argument("--expires-in", type=int, metavar="DAYS", help="Expire after DAYS.")
        parser.add_argument("--tenant", help="Primary key of the tenant to bind the token to.")

    def handle(self, *args, name, expires_in, tenant, **options):
        arguments.days(expires_in, "--expires-in")
        max_length = get_token_model()._meta.get_field("name").max_length
        if not name.strip() or len(name) > max_length:
            raise CommandError(f"--name must be 1 to {max_length} characters.")
        tenant_obj = arguments.tenant(tenant)
        token, plaintext = services.create_token(
            name, expires_in_days=expires_in, tenant=tenant_obj
        )
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(
            f"Created SCIM token {token.name!r} ({token.display_prefix}…), expires: {expiry}."
        )
        self.stdout.write("Copy it now; it is not stored and cannot be shown again:")
        self.stdout.write(plaintext)
