"""json_copy: deep copies of JSON values."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from scim_provider.protocol.values import json_copy

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_equal_to_deepcopy_and_shares_no_container(value):
    copied = json_copy(value)
    assert copied == copy.deepcopy(value)
    assert _containers(copied).isdisjoint(_containers(value))


def test_mutating_the_copy_leaves_the_original():
    original = {"name": {"givenName": "Ann"}, "emails": [{"value": "a@x", "primary": True}]}
    copied = json_copy(original)
    copied["name"]["givenName"] = "Bob"
    copied["emails"][0]["value"] = "b@x"
    copied["emails"].append({})
    assert original == {"name": {"givenName": "Ann"}, "emails": [{"value": "a@x", "primary": True}]}


def test_values_that_are_not_json_are_deep_copied():
    when = datetime(2026, 1, 2, tzinfo=UTC)
    nested = {"at": [when], "set": {1, 2}}
    copied = json_copy(nested)
    assert copied == nested
    assert copied["set"] is not nested["set"]


def _containers(value, found=None) -> set[int]:
    found = set() if found is None else found
    if isinstance(value, dict | list):
        found.add(id(value))
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, found)
    return found
