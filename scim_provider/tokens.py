"""Generating, parsing and hashing SCIM tokens: pure functions, no database.

A token reads ``<prefix><key><secret>``, e.g. ``scim_Ab3dE5gH9kQ2w...``:

* ``prefix``: a short constant (``SCIM_PROVIDER["TOKEN_PREFIX"]``, default
  ``scim_``) so that secret scanners and people recognise it;
* ``key``: ``KEY_LENGTH`` random characters, stored in clear and indexed, used
  to find the token row (it identifies the token, it does not authenticate);
* ``secret``: ``SECRET_LENGTH`` random characters.

Only the SHA-256 digest of the whole token is stored. A high-entropy secret
needs no slow password hash: SHA-256 over 238 random bits cannot be brute
forced, and verification stays one indexed lookup plus ``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from typing import NamedTuple

KEY_LENGTH = 10
SECRET_LENGTH = 40
ALPHABET = string.ascii_letters + string.digits


class ParsedToken(NamedTuple):
    key: str
    digest: str


def random_string(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def generate_token(prefix: str) -> str:
    """A new plaintext token."""
    return prefix + random_string(KEY_LENGTH) + random_string(SECRET_LENGTH)


def hash_token(plaintext: str) -> str:
    """The hex SHA-256 digest stored for ``plaintext``."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def parse_token(plaintext: str) -> ParsedToken | None:
    """Split a presented token into its lookup key and digest, or None if malformed.

    The key is read from the end, so tokens stay valid if the prefix setting changes.
    """
    body = plaintext[-(KEY_LENGTH + SECRET_LENGTH) :]
    if (
        len(plaintext) > 200
        or len(body) != KEY_LENGTH + SECRET_LENGTH
        or not all(c in ALPHABET for c in body)
    ):
        return None
    return ParsedToken(key=body[:KEY_LENGTH], digest=hash_token(plaintext))


def digests_match(presented: str, stored: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(presented.encode("ascii"), stored.encode("ascii"))
