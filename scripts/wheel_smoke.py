"""Smoke test of a built wheel, run by `make dist` inside a throwaway virtualenv.

Checks that the installed package (not the source tree) imports, ships its data files
(py.typed, templates, migrations), passes Django's checks, migrates, has no missing
migration, and answers a SCIM request. Usage: python wheel_smoke.py (from any directory
outside the repository).
"""

from __future__ import annotations

import json
import sys
import sysconfig
import types
from importlib import metadata, resources
from pathlib import Path


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
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
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
    print(f"wheel smoke: django-scim-provider {installed} from {package_dir} ok")


if __name__ == "__main__":
    main()
