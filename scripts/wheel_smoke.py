"""Smoke test of a built wheel, run by `make dist` inside a throwaway virtualenv.

Checks that the installed package (not the source tree) imports, ships its data files
(py.typed, templates, migrations), passes Django's checks, migrates, has no missing
migration, and answers a SCIM request. Then, in a second process (Django is configured once
per process), it writes a fresh multi-tenant project next to itself, as a new team would:
an email-login custom user, an ``Organization`` as the tenant, a ``Team`` with a required
``organization``, members and ``unique(organization, name)``; it makes its migrations and
runs an Okta-shaped flow through the whole HTTP stack (users, groups onto each
organization's teams, membership updates, rename, deactivate, delete, push again), where
every answer must be the one Okta expects. Usage: python wheel_smoke.py (from any directory
outside the repository).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import types
from importlib import metadata, resources
from pathlib import Path

# As the docs recommend for SQLite (scim_provider.W006): IMMEDIATE transactions.
SQLITE = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": ":memory:",
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
}


def fail(message: str) -> None:
    print(f"wheel smoke: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    import scim_provider

    package_dir = Path(scim_provider.__file__).resolve().parent
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    if site_packages not in package_dir.parents:
        fail(f"scim_provider was imported from {package_dir}, not from {site_packages}")
    installed = metadata.version("django-scim-provider")
    if scim_provider.__version__ != installed:
        fail(f"__version__ {scim_provider.__version__} != distribution version {installed}")

    files = resources.files("scim_provider")
    for name in (
        "py.typed",
        "templates/admin/scim_provider/token_created.html",
        "migrations/__init__.py",
        "migrations/0001_initial.py",
        "management/commands/scim_create_token.py",
    ):
        if not files.joinpath(name).is_file():
            fail(f"{name} is missing from the wheel")

    import django
    from django.conf import settings

    urls = types.ModuleType("smoke_urls")
    sys.modules["smoke_urls"] = urls
    settings.configure(
        SECRET_KEY="wheel-smoke",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "rest_framework",
            "scim_provider",
            "scim_provider.selfservice",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        DATABASES={"default": SQLITE},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        ROOT_URLCONF="smoke_urls",
        # As behind a TLS-terminating proxy (scim_provider.W001 otherwise).
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    )
    django.setup()

    from django.core.management import call_command
    from django.template.loader import get_template
    from django.test import Client
    from django.urls import include, path

    urls.urlpatterns = [path("scim/v2/", include("scim_provider.urls"))]
    call_command("check", fail_level="ERROR", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("makemigrations", "scim_provider", check=True, dry_run=True, verbosity=0)
    get_template("admin/scim_provider/token_created.html")

    from scim_provider import services

    _, plaintext = services.create_token("wheel smoke")
    response = Client().get(
        "/scim/v2/Users?startIndex=1&count=2", HTTP_AUTHORIZATION=f"Bearer {plaintext}"
    )
    body = json.loads(response.content)
    if response.status_code != 200 or body.get("totalResults") != 0:
        fail(f"GET /Users answered {response.status_code}: {body}")
    print(f"wheel smoke: django-scim-provider {installed} from {package_dir} ok", flush=True)
    fresh = subprocess.run([sys.executable, "-I", __file__, "fresh-project"], check=False)
    if fresh.returncode:
        fail("the fresh multi-tenant project failed (see above)")


# A fresh multi-tenant project --------------------------------------------------------------

PROJECT_MODELS = """
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class PersonManager(BaseUserManager):
    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class Person(AbstractBaseUser):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    objects = PersonManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"


class Organization(models.Model):
    name = models.CharField(max_length=100, unique=True)


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_per_org")
        ]
"""

SCIM_JSON = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Okta:
    """An Okta SCIM client of one organization's token: every answer is checked."""

    def __init__(self, client, token: str) -> None:
        self.client, self.token = client, token

    def call(self, method: str, path: str, body=None, status: int = 200):
        response = self.client.generic(
            method,
            "/scim/v2" + path,
            json.dumps(body) if body is not None else "",
            content_type=f"{SCIM_JSON}; charset=utf-8",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            HTTP_ACCEPT=SCIM_JSON,
        )
        if response.status_code != status:
            fail(
                f"{method} {path} answered {response.status_code}, not {status}: "
                f"{response.content[:500]!r}"
            )
        return json.loads(response.content) if response.content else None

    def find(self, resource: str, attribute: str, value: str) -> list:
        query = f'{attribute} eq "{value}"'.replace(" ", "%20").replace('"', "%22")
        return self.call("GET", f"/{resource}?filter={query}&startIndex=1&count=100")["Resources"]

    def provision(self, email: str, given: str, family: str) -> dict:
        if self.find("Users", "userName", email):
            fail(f"{email} exists before it is provisioned")
        return self.call(
            "POST",
            "/Users",
            {
                "schemas": [USER_URN],
                "userName": email,
                "active": True,
                "name": {"givenName": given, "familyName": family},
                "emails": [{"primary": True, "value": email, "type": "work"}],
                "displayName": f"{given} {family}",
                "password": "Okta-placeholder-1",
            },
            status=201,
        )

    def push(self, name: str, members: list) -> dict:
        if self.find("Groups", "displayName", name):
            fail(f"group {name!r} exists before it is pushed")
        return self.call(
            "POST",
            "/Groups",
            {
                "schemas": [GROUP_URN],
                "displayName": name,
                "members": [{"value": m["id"], "display": m["userName"]} for m in members],
            },
            status=201,
        )

    def patch(self, path: str, *operations) -> dict:
        return self.call("PATCH", path, {"schemas": [PATCH_URN], "Operations": list(operations)})


def fresh_project() -> None:
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="fresh-project-"))
    (root / "product" / "migrations").mkdir(parents=True)
    (root / "product" / "__init__.py").write_text("")
    (root / "product" / "migrations" / "__init__.py").write_text("")
    (root / "product" / "models.py").write_text(PROJECT_MODELS)
    (root / "urls.py").write_text(
        "from django.urls import include, path\n"
        'urlpatterns = [path("scim/v2/", include("scim_provider.urls"))]\n'
    )
    sys.path.insert(0, str(root))

    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="fresh-project",
        ALLOWED_HOSTS=["testserver"],
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "rest_framework",
            "scim_provider",
            "product",
        ],
        AUTH_USER_MODEL="product.Person",
        DATABASES={"default": SQLITE},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        ROOT_URLCONF="urls",
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SCIM_PROVIDER={
            "TENANT_MODEL": "product.Organization",
            "GROUP_MODEL": "product.Team",
            "GROUP_TENANT_FIELD": "organization",
        },
    )
    django.setup()

    from django.core.management import call_command
    from django.test import Client
    from product.models import Organization, Person, Team

    from scim_provider import services

    call_command("makemigrations", "product", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("check", fail_level="WARNING", verbosity=0)

    acme, globex = (Organization.objects.create(name=n) for n in ("Acme", "Globex"))
    for org in (acme, globex):  # DOMAIN_POLICY: each provisions its own verified domain
        domain = f"{org.name.lower()}.example"
        call_command("scim_domains", tenant=str(org.pk), add=domain, verified=True, verbosity=0)
    okta = Okta(Client(), services.create_token("Okta", tenant=acme)[1])
    other = Okta(Client(), services.create_token("Okta", tenant=globex)[1])

    def teams(org) -> dict:
        return {
            t.name: {p.email for p in t.members.all()}
            for t in Team.objects.filter(organization=org)
        }

    # Test API Credentials, then Assign to People.
    okta.call("GET", "/Users?startIndex=1&count=2")
    okta.call("GET", "/Groups?startIndex=1&count=100")
    ann = okta.provision("ann@acme.example", "Ann", "Lee")
    bob = okta.provision("bob@acme.example", "Bob", "Ray")
    eve = other.provision("eve@globex.example", "Eve", "Hart")

    # Push Groups: each organization gets its own "Engineering" team.
    group = okta.push("Engineering", [ann])
    other.push("Engineering", [eve])
    if teams(acme) != {"Engineering": {"ann@acme.example"}}:
        fail(f"Acme's teams: {teams(acme)}")
    if teams(globex) != {"Engineering": {"eve@globex.example"}}:
        fail(f"Globex's teams: {teams(globex)}")

    # A membership update: the rename op with the same name, a removal, an addition.
    path = f"/Groups/{group['id']}"
    okta.patch(
        path,
        {"op": "replace", "value": {"id": group["id"], "displayName": "Engineering"}},
        {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'},
        {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
    )
    okta.patch(path, {"op": "replace", "value": {"id": group["id"], "displayName": "Platform"}})
    if teams(acme) != {"Platform": {"bob@acme.example"}}:
        fail(f"Acme's teams after the rename: {teams(acme)}")

    # Deactivate a person, update one by PUT.
    okta.patch(f"/Users/{ann['id']}", {"op": "replace", "value": {"active": False}})
    if Person.objects.get(email="ann@acme.example").is_active:
        fail("ann is still active")
    current = okta.call("GET", f"/Users/{bob['id']}")
    okta.call("PUT", f"/Users/{bob['id']}", {**current, "displayName": "Robert Ray"})

    # Unlink the group (soft delete: the team stays, emptied), then push it again: the
    # new group takes the team back, whatever Globex has.
    okta.call("DELETE", path, status=204)
    okta.call("GET", path, status=404)
    if teams(acme) != {"Platform": set()}:
        fail(f"Acme's teams after the delete: {teams(acme)}")
    other.push("Platform", [eve])
    again = okta.push("Platform", [bob])
    if again["id"] == group["id"] or teams(acme) != {"Platform": {"bob@acme.example"}}:
        fail(f"Acme's teams after pushing again: {teams(acme)}")
    if teams(globex) != {"Engineering": {"eve@globex.example"}, "Platform": {"eve@globex.example"}}:
        fail(f"Globex's teams: {teams(globex)}")

    # Globex cannot reach Acme's group; a deleted user is gone.
    other.call("GET", f"/Groups/{again['id']}", status=404)
    okta.call("DELETE", f"/Users/{ann['id']}", status=204)
    okta.call("GET", f"/Users/{ann['id']}", status=404)
    print("wheel smoke: a fresh multi-tenant project (custom user, organization-owned teams) ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["fresh-project"]:
        fresh_project()
    else:
        main()
