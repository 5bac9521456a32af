"""The example project as deployed behind a load balancer: what ``docs/deployment.md``
describes, for the two server processes of ``tests/multiprocess``.

PostgreSQL (``DATABASE_URL``) and Django's own ``RedisCache`` (``REDIS_URL``), shared by
every process; a rate limit low enough to be reached in a test, and one trusted proxy.
"""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import SCIM_PROVIDER

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        # A cache that is down must cost little: fail within a second, then fail open.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

SCIM_PROVIDER = {
    **SCIM_PROVIDER,
    "RATE_LIMIT": "40/min",
    "NUM_PROXIES": 1,
    "REQUEST_LOG": "writes",
}
