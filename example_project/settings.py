"""Settings of the example project: a host product that serves SCIM at /scim/v2/.

Configured from the environment (django-environ); with nothing set it runs on
an SQLite file next to this module. ``SCIM_RECIPE`` picks a vendor recipe
(``example_project/recipes/``, ``docs/recipes/``): ``basic`` (default),
``email-username``, ``roles-from-groups``, ``teams``, ``role-extension`` or ``multi-tenant``.
"""

from pathlib import Path

import environ

from example_project.recipes import recipe_settings

BASE_DIR = Path(__file__).resolve().parent

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
)

SECRET_KEY = env("SECRET_KEY", default="example-project-insecure-key-change-me")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "scim_provider",
    "scim_provider.selfservice",
    "example_project.organizations",
    "example_project.recipes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Identity providers write in parallel (Okta: several requests at once). SQLite's default
    # transactions read first and take the write lock later, and a transaction that then has
    # to wait for it fails at once: "database is locked". IMMEDIATE takes the lock when the
    # transaction begins, where waiting (up to "timeout" seconds) works; WAL lets reads go on
    # meanwhile. (scim_provider.W006 warns without it.)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"

# The recipe's settings are merged over these (see example_project/recipes/__init__.py).
SCIM_RECIPE = env("SCIM_RECIPE", default="basic")
SCIM_PROVIDER = {
    "TENANT_MODEL": "organizations.Organization",
    **recipe_settings(SCIM_RECIPE),
}

# The self-service SCIM settings pages send anonymous visitors to the login page.
LOGIN_URL = "admin:login"
