"""Compiled hot-path queries (scim_provider.compiled) answer exactly what the ORM answers.

Lists are compiled once per filter *shape* (the filter with its strings taken out), so the
same shape is asked with several values, in both orders, and every answer is compared
with the plain queryset built by the ORM from the same filter.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from scim_provider import compiled, query
from scim_provider.adapters import get_user_adapter
from scim_provider.models import ScimToken
from scim_provider.protocol.filters import parse_filter
from scim_provider.query import compile_filter
from scim_provider.registry import registry
from tests.conftest import assert_scim_error
from tests.factories import ENTERPRISE_URN
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db

# Values a compiled query must not treat as patterns or fold the wrong way.
NAMES = ["a_c@x.org", "abc@x.org", "A%C@X.ORG", "aXc@x.org", "a\\c@x.org", "straße@x.org"]
TITLES = ["a_c", "abc", "A%C", "Straße", "STRASSE", "r&d", "R_D"]


@pytest.fixture
def people(create_user):
    made = {}
    for n, name in enumerate(NAMES):
        title = TITLES[n % len(TITLES)]
        made[name] = create_user(
            userName=name,
            emails=[{"value": name, "type": "work", "primary": True}],
            externalId=f"Ext_{n}%",
            title=title,
            displayName=f"{title} person",
            **{ENTERPRISE_URN: {"department": TITLES[(n + 2) % len(TITLES)]}},
        )
    return made


def orm_answer(text: str) -> set[str]:
    """The ids the ORM's own queryset gives for ``text``."""
    adapter = get_user_adapter("")
    rows = adapter.get_queryset().filter(compile_filter(parse_filter(text), adapter))
    return {str(scim_id) for scim_id in rows.values_list("scim_id", flat=True)}


def api_answer(client, text: str) -> set[str]:
    response = client.get(USERS, {"filter": text, "count": 50})
    assert response.status_code == 200, response.content
    return {resource["id"] for resource in response.json()["Resources"]}


SHAPES = [
    ("userName eq {}", NAMES + ["A_C@X.ORG", "STRASSE@X.ORG", "a%c@x.org", "nobody"]),
    ("userName co {}", ["_", "%", "\\", "ß", "ss", "C@"]),
    ("userName sw {} or userName ew {}", ["a_", "A%", "org"]),
    ("title eq {}", TITLES + ["a%c", "strasse", "STRASSE"]),
    ("title co {} and not (displayName sw {})", ["_", "%", "a", "ß"]),
    ("externalId eq {}", ["Ext_1%", "ext_1%", "Ext_11", "Ext%1%"]),
    ('emails[type eq "work" and value eq {}]', NAMES[:3] + ["A_C@x.org"]),
    ("emails.value eq {} or emails.value co {}", NAMES[:3] + ["A_C@x.org", "SS", "ß"]),
    ("externalId co {} or title gt {}", ["_1", "EXT", "a_c", "A%C", "ß"]),
    (f"{ENTERPRISE_URN}:department eq {{}}", TITLES),
    ("name.givenName eq {} and userName pr", ["Test", "test", "T_st"]),
]


@pytest.mark.parametrize(("template", "values"), SHAPES, ids=[s[0][:30] for s in SHAPES])
def test_every_value_of_a_shape_gets_the_orms_answer(users_client, people, template, values):
    slots = template.count("{}")
    for order in (values, list(reversed(values))):
        for value in order:
            text = template.format(*[json.dumps(value, ensure_ascii=False)] * slots)
            assert api_answer(users_client, text) == orm_answer(text), text


def test_a_shape_is_compiled_once_and_reused(users_client, people):
    compiled.clear_all()
    for name in [n for n in NAMES if n.upper().lower() == n]:  # not straße: STRASSE
        text = f"userName eq {json.dumps(name.upper(), ensure_ascii=False)}"
        assert len(api_answer(users_client, text)) == 1
    entries = list(query._page._entries.values())
    assert len(entries) == 1
    # Folded by lower() on the way in: the compiled query remembers to do the same. (The
    # tenant is part of the key, not a value: its SQL parameter is fixed.)
    assert isinstance(entries[0], compiled._Entry)
    assert [binder for *_, binder in entries[0].slots] == [str.lower]


def test_lookup_queries(users_client, people, django_assert_num_queries):
    api_answer(users_client, 'userName eq "abc@x.org"')  # compiled now
    with django_assert_num_queries(2):  # the token; the page, with its users' groups
        assert len(api_answer(users_client, 'userName eq "a_c@x.org"')) == 1


def test_values_the_database_cannot_compare_are_still_refused(users_client, people):
    api_answer(users_client, 'userName eq "abc@x.org"')
    response = users_client.get(USERS, {"filter": 'userName eq "a\x00b"'})
    assert_scim_error(response, 400, "invalidFilter")


def test_a_registry_change_forgets_compiled_queries(users_client, people):
    api_answer(users_client, 'userName eq "abc@x.org"')
    assert query._page._entries
    registry.clear_cache()
    assert not query._page._entries


def test_pages_by_bookmark_and_offset_match(users_client, people):
    seen = []
    for start in range(1, len(NAMES) + 1, 2):
        response = users_client.get(USERS, {"startIndex": start, "count": 2})
        seen += [resource["id"] for resource in response.json()["Resources"]]
    assert seen == [people[name]["id"] for name in NAMES]


def test_links_by_id(users_client, people):
    for name in NAMES:
        found = users_client.get(f"{USERS}/{people[name]['id']}")
        assert found.status_code == 200 and found.json()["userName"] == name
    assert users_client.get(f"{USERS}/{uuid.uuid4()}").status_code == 404
    assert users_client.get(f"{USERS}/{people[NAMES[0]]['id'].upper()}").status_code == 200


def test_fallback_for_values_that_cannot_be_markers(db):
    @compiled.CompiledQuery
    def tokens_named(key, name):
        return ScimToken.objects.filter(name=name).values_list("name", flat=True)

    ScimToken.objects.create_token("alpha")
    assert tokens_named((), "alpha") == ["alpha"]
    assert tokens_named((), None) == []  # None: built by the ORM each time
    assert isinstance(tokens_named._entries[((), type(None))], compiled._Fallback)


def test_each_thread_runs_on_its_own_connection(db):
    """The compiled SQL is shared; the connection is always the calling thread's."""
    token, plaintext = ScimToken.objects.create_token("threads")
    assert ScimToken.objects.get_for_plaintext(plaintext) == token  # compiled here

    def in_another_thread() -> int:
        try:
            # The test's transaction is not visible there (on SQLite, it locks the
            # table): no token, but one query on this thread's connection.
            connection = connections[DEFAULT_DB_ALIAS]
            with CaptureQueriesContext(connection) as captured, suppress(DatabaseError):
                assert ScimToken.objects.get_for_plaintext(plaintext) is None
            return len(captured)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(in_another_thread).result() == 1


@pytest.mark.django_db(transaction=True)
def test_locking_reads_still_need_a_transaction(create_user):
    """As with any ``select_for_update()``: the compiled SQL does not skip Django's check."""
    user = create_user()
    adapter = get_user_adapter("")
    with transaction.atomic():
        assert adapter.get_link(user["id"], for_update=True).user_name == user["userName"]
    with pytest.raises(TransactionManagementError):
        adapter.get_link(user["id"], for_update=True)
