"""The request log: what is recorded, what is redacted, its cost, and that it survives rollbacks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from scim_provider import registry, requestlog
from scim_provider.models import ScimRequestLog, ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db

ECHO = "/scim-test/echo"
SECRET_URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"


@pytest.fixture
def log_mode(scim_config):
    def set_mode(mode: str, **more):
        scim_config(REQUEST_LOG=mode, **more)

    return set_mode


@pytest.fixture
def secret_attributes():
    """Two sensitive custom attributes: a core sub-attribute and an extension attribute."""
    registry.register("profile.pin", sensitive=True)
    registry.register(f"{SECRET_URN}:ssn", sensitive=True)
    yield
    registry.unregister("profile.pin")
    registry.unregister(f"{SECRET_URN}:ssn")


# What is logged -------------------------------------------------------------------------


def test_default_logs_errors_only(users_client, create_user):
    user = create_user()
    users_client.get(f"{USERS}/{user['id']}")
    assert not ScimRequestLog.objects.exists()
    assert_scim_error(users_client.get(f"{USERS}/00000000-0000-0000-0000-000000000000"), 404)
    entry = ScimRequestLog.objects.get()
    assert (entry.method, entry.status, entry.resource_type) == ("GET", 404, "User")
    assert entry.resource_id == "00000000-0000-0000-0000-000000000000"
    assert "not found" in entry.error_detail


@pytest.mark.parametrize(
    ("mode", "logged"),
    [("off", []), ("errors", [409]), ("writes", [201, 409]), ("all", [200, 201, 409])],
)
def test_modes(users_client, log_mode, mode, logged):
    log_mode(mode)
    body = UserBodyFactory()
    users_client.get(USERS)
    users_client.post(USERS, body, format="json")
    users_client.post(USERS, body, format="json")
    assert sorted(ScimRequestLog.objects.values_list("status", flat=True)) == logged


def test_entry_fields(users_client, scim_token, scim_plaintext, log_mode):
    log_mode("all")
    body = UserBodyFactory()
    response = users_client.post(f"{USERS}?attributes=userName", body, format="json")
    created = response.json()
    entry = ScimRequestLog.objects.get(method="POST")
    assert entry.path == "/scim/v2/Users"
    assert entry.query == "attributes=userName"
    assert entry.status == 201
    assert entry.duration_ms >= 0
    assert entry.token_pk == str(scim_token.pk)
    assert entry.token_prefix == scim_token.display_prefix
    assert entry.tenant_id == ""
    assert (entry.resource_type, entry.resource_id) == ("User", created["id"])
    assert entry.client_ip == "127.0.0.1"
    assert entry.request_body["userName"] == body["userName"]
    assert entry.scim_type == "" and entry.error_detail == ""
    # The secret part of the token is stored nowhere.
    row = json.dumps(list(ScimRequestLog.objects.values()), default=str)
    assert scim_plaintext[len(scim_token.display_prefix) :] not in row


def test_error_is_logged_with_scim_type(users_client, log_mode):
    body = UserBodyFactory()
    users_client.post(USERS, body, format="json")
    error = assert_scim_error(users_client.post(USERS, body, format="json"), 409, "uniqueness")
    entry = ScimRequestLog.objects.get()
    assert (entry.status, entry.scim_type) == (409, "uniqueness")
    assert entry.error_detail == error["detail"]


def test_failed_authentication_is_logged_without_the_credential(anon_client):
    presented = "scim_" + "A" * 50
    anon_client.credentials(HTTP_AUTHORIZATION=f"Bearer {presented}")
    assert_scim_error(anon_client.get(USERS), 401)
    entry = ScimRequestLog.objects.get()
    assert (entry.status, entry.token_pk, entry.token_prefix) == (401, "", "")
    assert "A" * 20 not in json.dumps(list(ScimRequestLog.objects.values()), default=str)


def test_rolled_back_request_is_logged(log_mode):
    """The echo view writes a group, then fails: the write is undone, the log row stays."""
    log_mode("errors")
    response = APIClient().post(f"{ECHO}?raise=Uniqueness", {"a": 1}, format="json")
    assert_scim_error(response, 409, "uniqueness")
    assert not Group.objects.filter(name="written-before-the-error").exists()
    entry = ScimRequestLog.objects.get()
    assert (entry.status, entry.request_body) == (409, {"a": 1})


def test_crash_is_logged_without_internals(log_mode):
    response = APIClient().post(f"{ECHO}?raise=crash", {"a": 1}, format="json")
    assert_scim_error(response, 500)
    entry = ScimRequestLog.objects.get()
    assert entry.status == 500
    assert "hunter2" not in entry.error_detail


def test_unparsed_body_is_not_logged(users_client):
    response = users_client.post(USERS, b"{not json", content_type="application/scim+json")
    assert_scim_error(response, 400, "invalidSyntax")
    assert ScimRequestLog.objects.get().request_body is None


def test_bodies_can_be_left_out(users_client, log_mode):
    log_mode("writes", REQUEST_LOG_BODIES=False)
    users_client.post(USERS, UserBodyFactory(), format="json")
    assert ScimRequestLog.objects.get().request_body is None


def test_huge_body_is_truncated(users_client, log_mode):
    log_mode("writes")
    body = UserBodyFactory(displayName="x" * (requestlog.MAX_LOGGED_BODY + 10))
    users_client.post(USERS, body, format="json")
    (value,) = ScimRequestLog.objects.get().request_body.values()
    assert value.endswith(" bytes")


# Cost -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "get-404"])
def test_logging_adds_exactly_one_insert(users_client, create_user, log_mode, method):
    def request(user: dict):
        url = f"{USERS}/{user['id']}"
        if method == "post":
            return users_client.post(USERS, UserBodyFactory(), format="json")
        if method == "put":
            return users_client.put(url, {**user, "displayName": "Y"}, format="json")
        if method == "patch":
            body = patch_body({"op": "replace", "path": "displayName", "value": "X"})
            return users_client.patch(url, body, format="json")
        if method == "delete":
            return users_client.delete(url)
        return users_client.get(f"{USERS}/00000000-0000-0000-0000-000000000000")

    def measure(mode: str) -> list[str]:
        log_mode(mode)
        user = create_user()
        with CaptureQueriesContext(connection) as queries:
            response = request(user)
        assert response.status_code < 500
        return [q["sql"] for q in queries.captured_queries]

    without, with_log = measure("off"), measure("all")
    assert len(with_log) == len(without) + 1, (without, with_log)
    extra = [q for q in with_log if "scim_provider_scimrequestlog" in q]
    assert len(extra) == 1 and extra[0].startswith("INSERT")


# Redaction ------------------------------------------------------------------------------


def test_redaction_of_post_put_and_patch(users_client, log_mode, secret_attributes):
    log_mode("writes")
    body = UserBodyFactory(
        password="hunter2",
        profile={"pin": "1234", "location": "Paris"},
        **{SECRET_URN: {"ssn": "078-05-1120"}},
    )
    body["schemas"] = [*body["schemas"], SECRET_URN]
    user = users_client.post(USERS, body, format="json").json()
    put_body = {**body, f"{SECRET_URN}:ssn": "078-05-1121", "PASSWORD": "hunter3"}
    users_client.put(f"{USERS}/{user['id']}", put_body, format="json")
    operations = patch_body(
        {"op": "replace", "path": "password", "value": "hunter4"},
        {"op": "replace", "path": "profile.pin", "value": "5678"},
        {"op": "add", "path": f"{SECRET_URN}:ssn", "value": "078-05-1122"},
        {"op": "replace", "path": "profile", "value": {"pin": "9999", "location": "Rome"}},
        {"op": "Replace", "value": {"password": "hunter5", "profile.pin": "0000"}},
        {"op": "replace", "value": {SECRET_URN: {"ssn": "078-05-1123"}, "displayName": "D"}},
        {"op": "replace", "value": {f"{SECRET_URN}:ssn": "078-05-1124"}},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@example.com"},
    )
    users_client.patch(f"{USERS}/{user['id']}", operations, format="json")

    text = json.dumps([e.request_body for e in ScimRequestLog.objects.all()])
    for secret in ("hunter", "1234", "5678", "9999", "0000", "078-05"):
        assert secret not in text, secret
    # What is not secret is kept.
    for kept in ("Paris", "Rome", "a@example.com", body["userName"]):
        assert kept in text
    patch_entry = ScimRequestLog.objects.get(method="PATCH")
    values = [op["value"] for op in patch_entry.request_body["Operations"]]
    assert values[:3] == ["[redacted]"] * 3
    assert values[3] == {"pin": "[redacted]", "location": "Rome"}


def test_redaction_can_be_switched_off(users_client, log_mode):
    log_mode("writes", REQUEST_LOG_REDACT=False)
    users_client.post(USERS, UserBodyFactory(password="hunter2"), format="json")
    assert ScimRequestLog.objects.get().request_body["password"] == "hunter2"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('filter=userName eq "a@b.c"', 'filter=userName eq "a@b.c"'),
        ("access_token=abc&count=2", "access_token=[redacted]&count=2"),
        ("x=scim_" + "a" * 50, "x=[redacted]"),
        ("Password=x&apiKey=y", "Password=[redacted]&apiKey=[redacted]"),
    ],
)
def test_query_redaction(query, expected):
    from urllib.parse import quote

    encoded = "&".join(
        "=".join(quote(part) for part in pair.split("=", 1)) for pair in query.split("&")
    )
    assert requestlog.redact_query(encoded) == expected


def test_filters_are_kept_tokens_are_not(users_client, scim_plaintext, log_mode):
    log_mode("all")
    users_client.get(USERS, {"filter": 'userName eq "jane@example.com"', "t": scim_plaintext})
    entry = ScimRequestLog.objects.get()
    assert 'userName eq "jane@example.com"' in entry.query
    assert scim_plaintext not in entry.query


# Retention ------------------------------------------------------------------------------


def make_entries(count: int, age_days: int) -> None:
    when = timezone.now() - timedelta(days=age_days)
    ScimRequestLog.objects.bulk_create(
        ScimRequestLog(created_at=when, method="GET", path="/x", status=200) for _ in range(count)
    )


def test_purge_in_batches(scim_config):
    make_entries(25, age_days=100)
    make_entries(5, age_days=10)
    seen = []
    assert requestlog.purge(30, dry_run=True) == 25
    assert ScimRequestLog.objects.count() == 30
    assert requestlog.purge(30, batch_size=10, progress=seen.append) == 25
    assert seen == [10, 20, 25]
    assert ScimRequestLog.objects.count() == 5
    scim_config(REQUEST_LOG_MAX_AGE_DAYS=5)
    assert requestlog.purge() == 5
    scim_config(REQUEST_LOG_MAX_AGE_DAYS=None)
    make_entries(1, age_days=1000)
    assert requestlog.purge() == 0


def test_purge_command(capsys):
    from django.core.management import call_command

    make_entries(12, age_days=100)
    call_command("scim_purge_log", "--older-than", "30", "--dry-run")
    assert "12 request log entries older than 30 days would be deleted" in capsys.readouterr().out
    call_command("scim_purge_log", "--older-than", "30", "--batch-size", "5")
    out = capsys.readouterr().out
    assert "Deleted 5" in out and "Deleted 12 request log entries" in out
    assert not ScimRequestLog.objects.exists()


def test_purge_command_defaults_to_the_setting(capsys, scim_config):
    from django.core.management import call_command

    make_entries(3, age_days=100)
    make_entries(2, age_days=50)
    call_command("scim_purge_log")  # REQUEST_LOG_MAX_AGE_DAYS = 90
    assert ScimRequestLog.objects.count() == 2


# Admin ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_list_filters_search_and_read_only_detail(
    admin_client, users_client, scim_token, log_mode
):
    from django.urls import reverse

    log_mode("all")
    body = UserBodyFactory()
    users_client.post(USERS, body, format="json")
    users_client.post(USERS, body, format="json")
    users_client.get(f"{SCIM}/Groups")
    url = reverse("admin:scim_provider_scimrequestlog_changelist")
    page = admin_client.get(url)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 3
    for params, expected in [
        ({"status_class": "4xx"}, 1),
        ({"status_class": "2xx"}, 2),
        ({"method": "POST"}, 2),
        ({"resource": "Group"}, 1),
        ({"token_prefix": scim_token.display_prefix}, 3),
        ({"token_prefix": "nope"}, 0),
        ({"q": "uniqueness"}, 1),
    ]:
        page = admin_client.get(url, params)
        assert page.status_code == 200, params
        assert page.context["cl"].result_count == expected, params

    entry = ScimRequestLog.objects.get(status=409)
    detail = admin_client.get(reverse("admin:scim_provider_scimrequestlog_change", args=[entry.pk]))
    assert detail.status_code == 200
    content = detail.content.decode()
    assert "uniqueness" in content and body["userName"] in content
    assert 'name="_save"' not in content  # read-only
    add = admin_client.get(reverse("admin:scim_provider_scimrequestlog_add"))
    assert add.status_code == 403
    response = admin_client.post(
        reverse("admin:scim_provider_scimrequestlog_change", args=[entry.pk]), {"status": 200}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == 409


def test_admin_provisioning_history_of_a_user(admin_client, users_client, log_mode):
    from django.urls import reverse

    log_mode("writes")
    user = users_client.post(USERS, UserBodyFactory(password="hunter2"), format="json").json()
    users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "replace", "path": "active", "value": False}),
        format="json",
    )
    other = users_client.post(USERS, UserBodyFactory(), format="json").json()
    link = ScimUser.objects.get(scim_id=user["id"])
    page = admin_client.get(reverse("admin:scim_provider_scimuser_change", args=[link.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Provisioning history" in content
    assert content.count("scim-history-row") == 2
    assert "PATCH" in content and "POST" in content
    assert other["id"] not in content
    assert "hunter2" not in content
    assert 'name="_save"' not in content
    listing = admin_client.get(reverse("admin:scim_provider_scimuser_changelist"))
    assert listing.status_code == 200 and user["userName"].lower() in listing.content.decode()
    assert admin_client.get(reverse("admin:scim_provider_scimuser_add")).status_code == 403
