"""The test suite again, with a custom user model (``testapp.Member``).

``Member`` has the email as ``USERNAME_FIELD``, no ``first_name``/``last_name`` and a
``full_name``, which SCIM's ``displayName`` is mapped onto.
"""

from tests.settings import *  # noqa: F403

AUTH_USER_MODEL = "testapp.Member"

SCIM_PROVIDER = {"USER_FIELDS": {"displayName": "full_name"}}
