"""``manage.py demo_setup``: what ``make demo`` prints, so that every door of the demo opens.

Creates (or finds) the demo organization, gives the ``admin`` superuser a new random
password, creates a SCIM token bound to the organization, and prints the admin URL and
login, the organization's self-service SCIM settings URL, the SCIM base URL and the token
(alone, last). Run it again for a new password and a new token.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.urls import reverse

from example_project.organizations.models import Organization
from scim_provider import services


class Command(BaseCommand):
    help = "Set up the demo: organization, admin login, SCIM token; print where to go."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the demo is served."
        )
        parser.add_argument("--organization", default="Acme", help="The demo organization.")

    def handle(self, *args, base_url, organization, **options):
        base_url = base_url.rstrip("/")
        org, _created = Organization.objects.get_or_create(
            name=organization, defaults={"slug": organization.lower().replace(" ", "-")}
        )
        password = secrets.token_urlsafe(12)
        user_model = get_user_model()
        login = "admin"
        admin = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: login}).first()
        if admin is None:
            admin = user_model._default_manager.create_superuser(login, "", password)
        else:
            admin.is_active = admin.is_staff = admin.is_superuser = True
            admin.set_password(password)
            admin.save()
        _token, plaintext = services.create_token(f"demo token of {org.name}", tenant=org)
        selfservice = reverse("scim_selfservice:overview", kwargs={"tenant": org.pk})
        lines = [
            f"Admin:            {base_url}{reverse('admin:index')}",
            f"  login:          {login}",
            f"  password:       {password}",
            f"Self-service:     {base_url}{selfservice}  (SCIM settings of {org.name})",
            f"SCIM base URL:    {base_url}/scim/v2/",
            f"Token of {org.name} (shown once):",
            plaintext,
        ]
        self.stdout.write("\n".join(lines))
