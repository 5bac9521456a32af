"""The self-service service layer: tokens, rotation, the SCIM switch, activity, counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scim_provider import services, signals
from scim_provider.models import ScimAuditEntry, ScimGroup, ScimRequestLog, get_token_model
from tests.factories import ScimUserFactory, UserFactory
from tests.integration.selfservice_helpers import *  # noqa: F403
from tests.integration.selfservice_helpers import scim_get, tenant_token


@pytest.fixture
def received():
    """Collect the token signals sent during the test: ``{signal name: [kwargs, ...]}``."""
    found: dict[str, list[dict]] = {}
    receivers = {}
    for name in ("token_created", "token_rotated", "token_revoked", "token_expiring"):

        def receiver(sender, _name=name, signal=None, **kwargs):
            found.setdefault(_name, []).append(kwargs)

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield found
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def test_create_token_is_audited_and_announced(tenants, superuser, received):
    org, _ = tenants
    actor = services.Actor(user=superuser, ip="203.0.113.7")
    token, plaintext = services.create_token("Okta", tenant=org, actor=actor)
    assert plaintext.startswith(token.display_prefix) and len(plaintext) > 50
    assert token.digest != plaintext and plaintext not in token.display_prefix
    assert token.created_by == superuser
    entry = ScimAuditEntry.objects.get()
    assert (entry.action, entry.tenant_id, entry.actor, entry.actor_name, entry.ip) == (
        "token_created",
        str(org.pk),
        superuser,
        superuser.get_username(),
        "203.0.113.7",
    )
    assert entry.token_prefix == token.display_prefix and entry.token_pk == str(token.pk)
    [sent] = received["token_created"]
    assert sent == {
        "token": token,
        "tenant_id": str(org.pk),
        "user": superuser,
        "ip": "203.0.113.7",
    }
    assert "plaintext" not in sent


def test_rotation_grace_period_then_401(tenants, superuser, received):
    org, _ = tenants
    old, old_plaintext = tenant_token(org)
    assert scim_get(old_plaintext).status_code == 200
    before = timezone.now()
    new, new_plaintext = services.rotate_token(
        old, grace_seconds=3600, actor=services.Actor(user=superuser)
    )
    assert new.pk != old.pk and new.tenant_id == str(org.pk) and new.name == old.name
    old.refresh_from_db()
    assert (
        before + timedelta(seconds=3590)
        < old.expires_at
        <= timezone.now() + timedelta(seconds=3600)
    )
    # Both work during the grace period.
    assert scim_get(old_plaintext).status_code == 200
    assert scim_get(new_plaintext).status_code == 200
    # The grace period ends: the old token is refused, the new one still works.
    get_token_model().objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = scim_get(old_plaintext)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert scim_get(new_plaintext).status_code == 200
    [sent] = received["token_rotated"]
    assert sent["token"] == new and sent["previous"].pk == old.pk
    assert sent["grace_until"] == old.expires_at and sent["user"] == superuser
    entry = ScimAuditEntry.objects.get(action="token_rotated")
    assert entry.token_pk == str(old.pk) and entry.detail["new_token"] == new.display_prefix


def test_rotation_uses_the_grace_setting_and_keeps_a_sooner_expiry(tenants, scim_config):
    org, _ = tenants
    scim_config(TOKEN_ROTATION_GRACE_SECONDS=0)
    old, old_plaintext = tenant_token(org)
    services.rotate_token(old)
    assert scim_get(old_plaintext).status_code == 401
    soon = timezone.now() + timedelta(minutes=5)
    other, _ = services.create_token("soon", tenant=org)
    get_token_model().objects.filter(pk=other.pk).update(expires_at=soon)
    other.refresh_from_db()
    services.rotate_token(other, grace_seconds=86400)
    other.refresh_from_db()
    assert other.expires_at == soon


def test_only_active_tokens_rotate(tenants):
    org, _ = tenants
    token, _ = tenant_token(org)
    services.revoke(token)
    with pytest.raises(services.TokenNotUsable):
        services.rotate_token(token)
    assert get_token_model().objects.count() == 1


def test_revoke_is_audited_announced_and_refused_at_once(tenants, superuser, received):
    org, _ = tenants
    token, plaintext = tenant_token(org)
    assert services.revoke(token, actor=services.Actor(user=superuser, ip="198.51.100.1"))
    assert not services.revoke(token)  # already revoked: nothing more
    assert scim_get(plaintext).status_code == 401
    assert [e.action for e in ScimAuditEntry.objects.order_by("pk")] == [
        "token_created",
        "token_revoked",
    ]
    [sent] = received["token_revoked"]
    assert sent["token"] == token and sent["ip"] == "198.51.100.1"


def test_disabled_tenant_gets_403_and_enabling_restores(tenants, superuser):
    org_a, org_b = tenants
    _, plaintext_a = tenant_token(org_a)
    _, plaintext_b = tenant_token(org_b)
    assert services.scim_enabled(org_a)
    assert services.set_scim_enabled(org_a, False, actor=services.Actor(user=superuser))
    assert not services.set_scim_enabled(org_a, False)  # no change, no audit entry
    response = scim_get(plaintext_a)
    assert response.status_code == 403
    assert "disabled" in response.json()["detail"]
    assert scim_get(plaintext_a, "/ServiceProviderConfig").status_code == 403
    assert scim_get(plaintext_b).status_code == 200  # the other tenant is unaffected
    assert services.set_scim_enabled(org_a, True)
    assert scim_get(plaintext_a).status_code == 200
    assert list(
        ScimAuditEntry.objects.filter(tenant_id=str(org_a.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["token_created", "scim_disabled", "scim_enabled"]


def test_tenants_can_start_disabled(tenants, scim_config):
    org, _ = tenants
    scim_config(TENANT_ENABLED_BY_DEFAULT=False)
    _, plaintext = tenant_token(org)
    assert scim_get(plaintext).status_code == 403
    services.set_scim_enabled(org, True)
    assert scim_get(plaintext).status_code == 200


def test_the_switch_costs_no_query(tenants, django_assert_num_queries):
    """The tenant's switch is read with the token: disabling SCIM adds no query."""
    org, _ = tenants
    _, plaintext = tenant_token(org)
    scim_get(plaintext, "/ServiceProviderConfig")  # last-used written
    with django_assert_num_queries(1):  # the token, with its tenant's switch
        assert scim_get(plaintext, "/ServiceProviderConfig").status_code == 200


def test_tenant_tokens_are_scoped(tenants):
    org_a, org_b = tenants
    token_a, _ = tenant_token(org_a)
    token_b, _ = tenant_token(org_b)
    assert list(services.tenant_tokens(org_a)) == [token_a]
    assert services.get_tenant_token(org_a, token_a.pk) == token_a
    for bad in (token_b.pk, "nope", 99999):
        with pytest.raises(services.TokenNotFound):
            services.get_tenant_token(org_a, bad)


def test_tenant_requests_are_the_tenants_own_and_filterable(tenants, scim_config):
    scim_config(REQUEST_LOG="all")
    org_a, org_b = tenants
    _, plaintext_a = tenant_token(org_a)
    _, plaintext_b = tenant_token(org_b)
    scim_get(plaintext_a, "/Users", QUERY_STRING='filter=userName eq "x"')
    scim_get(plaintext_a, "/Users/not-there")
    scim_get(plaintext_b, "/Users")
    rows = list(services.tenant_requests(org_a))
    assert [(r.method, r.status) for r in rows] == [("GET", 404), ("GET", 200)]
    assert {r.tenant_id for r in rows} == {str(org_a.pk)}
    assert [r.status for r in services.tenant_requests(org_a, errors_only=True)] == [404]
    assert services.tenant_requests(org_a, method="post").count() == 0
    assert services.tenant_requests(org_a, status=200).count() == 1
    assert ScimRequestLog.objects.count() == 3


def test_tenant_counts(tenants):
    org, other = tenants
    ScimUserFactory.create_batch(2, tenant_id=str(org.pk))
    ScimUserFactory(tenant_id=str(org.pk), user=UserFactory(is_active=False))
    ScimUserFactory(tenant_id=str(org.pk), deleted_at=timezone.now())
    ScimUserFactory(tenant_id=str(other.pk))
    ScimGroup.objects.create(tenant_id=str(org.pk), display_name="a", display_name_key="a")
    ScimGroup.objects.create(
        tenant_id=str(org.pk), display_name="b", display_name_key="b", deleted_at=timezone.now()
    )
    counts = services.tenant_counts(org)
    assert counts == services.TenantCounts(
        users_active=2, users_deactivated=1, users_deleted=1, groups=1, groups_deleted=1
    )


def test_expiry_notice(tenants, received, capsys):
    org, _ = tenants
    now = timezone.now()
    soon, _ = tenant_token(org, "soon")
    later, _ = tenant_token(org, "later")
    never, _ = tenant_token(org, "never")
    revoked, _ = tenant_token(org, "revoked")
    rotated, _ = tenant_token(org, "rotated")
    model = get_token_model().objects
    model.filter(pk=soon.pk).update(expires_at=now + timedelta(days=2, hours=1))
    model.filter(pk=later.pk).update(expires_at=now + timedelta(days=30))
    model.filter(pk=revoked.pk).update(expires_at=now + timedelta(days=1), revoked_at=now)
    services.rotate_token(rotated, grace_seconds=3600)  # in grace: not news
    assert [t.name for t in services.tokens_expiring(7)] == ["soon"]
    call_command("scim_token_expiry_notice", "--days", "7")
    [sent] = received["token_expiring"]
    assert sent["token"].pk == soon.pk and sent["days_left"] == 2
    assert sent["tenant_id"] == str(org.pk)
    out = capsys.readouterr().out
    assert soon.display_prefix in out and "1 token(s)" in out
    assert never.expires_at is None


def test_expiry_notice_is_sent_once_per_threshold(tenants, received, capsys):
    org, _ = tenants
    now = timezone.now()
    token, _ = tenant_token(org, "Okta")
    model = get_token_model().objects
    model.filter(pk=token.pk).update(expires_at=now + timedelta(days=20))

    def run(at, days=(30, 7, 1), **kwargs):
        before = len(received.get("token_expiring", []))
        services.notify_expiring_tokens(days, now=now + at, **kwargs)
        return [s["threshold_days"] for s in received.get("token_expiring", [])[before:]]

    assert run(timedelta(0)) == [30]
    assert run(timedelta(days=1)) == []  # daily runs: nothing new
    assert run(timedelta(days=12)) == []  # 8 days left: still within 30 only
    assert run(timedelta(days=13, hours=1)) == [7]
    assert run(timedelta(days=14)) == []
    # A run with only the larger threshold does not repeat what a smaller one announced.
    assert run(timedelta(days=15), days=[30]) == []
    assert run(timedelta(days=19, hours=1)) == [1]
    assert run(timedelta(days=19, hours=2)) == []
    assert run(timedelta(days=19, hours=2), force=True) == [1]
    # Each notice is an audit entry of the tenant, by the system.
    entries = services.tenant_audit_log(org).filter(action=ScimAuditEntry.TOKEN_EXPIRING)
    assert [e.detail["threshold_days"] for e in entries] == ["1", "1", "7", "30"]
    assert {e.token_prefix for e in entries} == {token.display_prefix}
    assert {e.actor_name for e in entries} == {""}
    assert entries[0].get_action_display() == "token expiry notice sent"
    # The expiry moved (extended by hand): announced afresh.
    model.filter(pk=token.pk).update(expires_at=now + timedelta(days=40))
    assert run(timedelta(days=19, hours=3)) == [30]
    # A token first seen close to its expiry gets one notice, for the tightest threshold.
    late, _ = tenant_token(org, "late")
    model.filter(pk=late.pk).update(expires_at=now + timedelta(hours=12))
    assert run(timedelta(0)) == [1]


def test_expiry_notice_command_thresholds_and_force(tenants, received, capsys):
    org, _ = tenants
    token, _ = tenant_token(org, "Okta")
    get_token_model().objects.filter(pk=token.pk).update(
        expires_at=timezone.now() + timedelta(days=5, hours=1)
    )
    call_command("scim_token_expiry_notice", "--days", "30", "7")
    out = capsys.readouterr().out
    assert token.display_prefix in out and "1 token(s) expiring within 30 day(s) notified" in out
    assert [s["threshold_days"] for s in received["token_expiring"]] == [7]
    call_command("scim_token_expiry_notice", "--days", "30", "7")
    assert "0 token(s) expiring within 30 day(s) notified; 1 already notified" in (
        capsys.readouterr().out
    )
    call_command("scim_token_expiry_notice", "--days", "30", "7", "--force")
    assert "1 token(s)" in capsys.readouterr().out and len(received["token_expiring"]) == 2
    with pytest.raises(CommandError):
        call_command("scim_token_expiry_notice", "--days", "-1")
    with pytest.raises(ValueError):
        services.notify_expiring_tokens([])
