"""``/Me`` (RFC 7644 §3.11): who a SCIM token belongs to.

``ME_RESOLVER`` names a function ``resolver(token) -> host user or None``; ``/Me`` is the
SCIM User linked to that user in the token's tenant. Tokens are issued to identity
providers, so no resolver is set by default (``/Me`` answers 501). The one offered here
treats a token as its creator's: ``created_by``, set when a token is created in the admin
or with ``services.create_token(..., created_by=user)``.
"""

from __future__ import annotations

from typing import Any


def token_creator(token: Any) -> Any:
    """The user who created ``token`` (``created_by``), or None."""
    return getattr(token, "created_by", None)
