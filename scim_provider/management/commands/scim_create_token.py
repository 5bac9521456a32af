from django.core.management.base import BaseCommand, CommandError

from scim_provider import services
from scim_provider.models import get_tenant_model


class Command(BaseCommand):
    help = "Create a SCIM token. The plaintext token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'Okta'.")
        parser.add_argument("--expires-in", type=int, metavar="DAYS", help="Expire after DAYS.")
        parser.add_argument("--tenant", help="Primary key of the tenant to bind the token to.")

    def handle(self, *args, name, expires_in, tenant, **options):
        if expires_in is not None and expires_in <= 0:
            raise CommandError("--expires-in must be a positive number of days.")
        tenant_obj = None
        if tenant is not None:
            model = get_tenant_model()
            if model is None:
                raise CommandError("SCIM_PROVIDER['TENANT_MODEL'] is not set.")
            tenant_obj = model._default_manager.filter(pk=tenant).first()
            if tenant_obj is None:
                raise CommandError(f"No {model._meta.verbose_name} with primary key {tenant!r}.")
        token, plaintext = services.create_token(
            name, expires_in_days=expires_in, tenant=tenant_obj
        )
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(
            f"Created SCIM token {token.name!r} ({token.display_prefix}…), expires: {expiry}."
        )
        self.stdout.write("Copy it now; it is not stored and cannot be shown again:")
        self.stdout.write(plaintext)
