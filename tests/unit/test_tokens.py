"""Token generation, parsing and hashing (pure functions)."""

import hashlib

import pytest

from scim_provider import tokens


def test_generated_tokens_are_unique_and_well_formed():
    made = {tokens.generate_token("scim_") for _ in range(200)}
    assert len(made) == 200
    for plaintext in made:
        assert plaintext.startswith("scim_")
        assert len(plaintext) == len("scim_") + tokens.KEY_LENGTH + tokens.SECRET_LENGTH


def test_hash_is_sha256_hex():
    assert tokens.hash_token("abc") == hashlib.sha256(b"abc").hexdigest()


def test_parse_returns_key_and_digest():
    plaintext = tokens.generate_token("scim_")
    parsed = tokens.parse_token(plaintext)
    assert parsed.key == plaintext[5:15]
    assert parsed.digest == tokens.hash_token(plaintext)


def test_parse_ignores_the_prefix_so_prefix_changes_keep_tokens_valid():
    plaintext = tokens.generate_token("old_")
    assert tokens.parse_token(plaintext).key == plaintext[4:14]


@pytest.mark.parametrize(
    "presented",
    ["", "short", "scim_" + "!" * 50, "x" * 500, "scim_" + "a" * 49, "scim_" + "é" * 50],
)
def test_parse_rejects_malformed_tokens(presented):
    assert tokens.parse_token(presented) is None


def test_digests_match_in_constant_time_semantics():
    digest = tokens.hash_token("a")
    assert tokens.digests_match(digest, digest)
    assert not tokens.digests_match(digest, tokens.hash_token("b"))
