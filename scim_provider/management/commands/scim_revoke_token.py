from django.core.management.base import BaseCommand, CommandError

from scim_provider import services


class Command(BaseCommand):
    help = "Revoke a SCIM token, given its id or its displayed prefix."

    def add_arguments(self, parser):
        parser.add_argument("token", help="Token id or prefix (as scim_list_tokens shows it).")

    def handle(self, *args, token, **options):
        try:
            found, was_active = services.revoke_token(token)
        except services.TokenNotFound as exc:
            raise CommandError(str(exc)) from exc
        if was_active:
            self.stdout.write(f"Revoked SCIM token {found.name!r} ({found.display_prefix}…).")
        else:
            self.stdout.write(f"SCIM token {found.name!r} was already revoked.")
