"""Settings for benchmarks: the example project, plus the bench app and the bare baseline URL.

    DATABASE_URL=postgres://... DJANGO_SETTINGS_MODULE=benchmarks.settings python manage.py ...

Production-like: ``DEBUG`` off (no query log), persistent connections, the per-request
server log silenced. The SCIM rate limit is off: the load driver sends more than
``3000/min`` on purpose. Everything else is the example project's default.
"""

from example_project.settings import *  # noqa: F403
from example_project.settings import INSTALLED_APPS, SCIM_PROVIDER
from scim_provider.conf import DEFAULTS

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.benchapp"]
ROOT_URLCONF = "benchmarks.urls"
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

# (Only where the setting exists: benchmarks also run against older checkouts.)
SCIM_PROVIDER = {**SCIM_PROVIDER, **({"RATE_LIMIT": None} if "RATE_LIMIT" in DEFAULTS else {})}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR"},
        "scim_provider": {"handlers": ["console"], "level": "WARNING"},
    },
}
SILENCED_SYSTEM_CHECKS = ["scim_provider.W001"]  # plain HTTP on loopback
