"""Verified domains (issue 15): claimed on the self-service page or JSON API, proved by a
DNS TXT record, vouched for by staff in the admin or with ``scim_domains``; one tenant
only may have a domain verified.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import dns.exception
import dns.resolver
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from scim_provider import domains
from scim_provider.models import ScimAuditEntry, ScimDomain
from tests.integration.tenant_world import *  # noqa: F403
from tests.integration.tenant_world import DNS

pytestmark = pytest.mark.django_db


def page(org, path="domains/"):
    return f"/orgs/{org.pk}/scim-settings/{path}"


def api(org, path="domains/"):
    return f"/orgs/{org.pk}/scim-settings/api/{path}"


@pytest.fixture
def browser(world):
    """The superuser's browser (CSRF enforced)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.root)
    return client


@pytest.fixture
def admin_api(world):
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(world.root)
    return client


def csrf_post(client, page_url, post_url, data=None):
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(page_url).text)
    return client.post(post_url, {**(data or {}), "csrfmiddlewaretoken": found.group(1)})


def messages_of(response) -> str:
    return " ".join(re.findall(r'class="scim-message[^"]*">([^<]+)<', response.text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Example.COM", "example.com"),
        (" @example.com. ", "example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("a-b.c.example", "a-b.c.example"),
    ],
)
def test_normalize_domain(text, expected):
    assert domains.normalize_domain(text) == expected


@pytest.mark.parametrize(
    "text", ["", "localhost", "example", "-a.example", "a..example", "a b.example", "1.2.3.4", 7]
)
def test_not_a_domain(text):
    with pytest.raises(domains.DomainError):
        domains.normalize_domain(text)


def test_page_add_prove_and_remove(world, browser):
    org = world.org_a
    response = browser.get(page(org))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "acme.example" in response.text and "Verified" in response.text

    response = csrf_post(browser, page(org), page(org), {"domain": "Acme-Labs.example"})
    assert response.status_code == 302
    row = ScimDomain.objects.get(tenant_id=str(org.pk), domain="acme-labs.example")
    shown = browser.get(page(org)).text
    assert domains.txt_record(row) in shown and "Not verified" in shown

    # Verify before the record is published: refused, with what to do.
    response = csrf_post(browser, page(org), page(org, f"domains/{row.pk}/verify/"))
    assert "No TXT record" in messages_of(browser.get(page(org)))
    row.refresh_from_db()
    assert not row.is_verified

    DNS["acme-labs.example"] = ["google-site-verification=x", domains.txt_record(row)]
    csrf_post(browser, page(org), page(org, f"domains/{row.pk}/verify/"))
    row.refresh_from_db()
    assert row.is_verified and row.verified_by == ScimDomain.DNS

    csrf_post(browser, page(org), page(org, f"domains/{row.pk}/remove/"))
    assert not ScimDomain.objects.filter(pk=row.pk).exists()
    actions = list(
        ScimAuditEntry.objects.filter(tenant_id=str(org.pk), action__startswith="domain_")
        .order_by("pk")
        .values_list("action", "actor_name")
    )
    assert actions[-3:] == [
        ("domain_added", "root"),
        ("domain_verified", "root"),
        ("domain_removed", "root"),
    ]


def test_page_refuses_a_bad_domain_and_another_tenants_row(world, browser):
    response = csrf_post(browser, page(world.org_a), page(world.org_a), {"domain": "nope"})
    assert response.status_code == 400 and "not a domain name" in response.text
    theirs = domains.get_domain(world.org_b, "globex.example")
    response = csrf_post(
        browser, page(world.org_a), page(world.org_a, f"domains/{theirs.pk}/remove/")
    )
    assert response.status_code == 404
    assert ScimDomain.objects.filter(pk=theirs.pk).exists()


def test_a_domain_verified_by_one_tenant_cannot_be_verified_by_another(world, browser):
    claim = domains.add_domain(world.org_a, "globex.example")  # B verified it
    DNS["globex.example"] = [domains.txt_record(claim)]  # even with the record
    with pytest.raises(domains.DomainError, match="verified by another account"):
        domains.verify_domain(claim)
    csrf_post(browser, page(world.org_a), page(world.org_a, f"domains/{claim.pk}/verify/"))
    assert "verified by another account" in messages_of(browser.get(page(world.org_a)))
    with pytest.raises(domains.DomainError, match="verified by another account"):
        domains.mark_verified(claim, ScimDomain.STAFF)
    claim.refresh_from_db()
    assert not claim.is_verified


def test_json_api(world, admin_api):
    org = world.org_a
    listed = admin_api.get(api(org))
    assert listed.status_code == 200 and listed["Cache-Control"] == "no-store"
    assert listed.json()["policy"] == "verified"
    assert [r["domain"] for r in listed.json()["results"]] == ["acme.example"]
    assert listed.json()["results"][0]["txt_record"] is None

    created = admin_api.post(api(org), {"domain": "ACME.io"}, format="json")
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    body = created.json()
    assert body["domain"] == "acme.io" and body["verified"] is False
    assert body["txt_record"]["name"] == "acme.io" and body["txt_record"]["type"] == "TXT"
    assert body["txt_record"]["value"].startswith(domains.TXT_PREFIX)

    missing = admin_api.post(api(org, f"domains/{body['id']}/verify/"))
    assert missing.status_code == 400 and "No TXT record" in missing.json()["domain"]
    DNS["acme.io"] = [body["txt_record"]["value"]]
    verified = admin_api.post(api(org, f"domains/{body['id']}/verify/"))
    assert verified.status_code == 200 and verified.json()["verified"] is True
    assert verified.json()["verified_by"] == "dns"

    assert admin_api.post(api(org), {"domain": "no"}, format="json").status_code == 400
    theirs = domains.get_domain(world.org_b, "globex.example")
    assert admin_api.delete(api(org, f"domains/{theirs.pk}/")).status_code == 404
    assert admin_api.delete(api(org, f"domains/{body['id']}/")).status_code == 204
    assert not ScimDomain.objects.filter(pk=body["id"]).exists()


def test_json_api_dns_failure_is_a_400_to_retry(world, admin_api):
    row = domains.add_domain(world.org_a, "down.example")
    response = admin_api.post(api(world.org_a, f"domains/{row.pk}/verify/"))
    assert response.status_code == 400 and "try again" in response.json()["domain"]


def test_api_and_page_need_the_permission(world):
    plain = APIClient()
    plain.force_login(world.staff)  # staff, but not allowed by SELF_SERVICE_PERMISSION
    assert plain.get(api(world.org_a)).status_code == 403
    assert plain.post(api(world.org_a), {"domain": "x.example"}, format="json").status_code == 403
    browser = Client()
    browser.force_login(world.staff)
    assert browser.get(page(world.org_a)).status_code == 403
    assert not ScimDomain.objects.filter(domain="x.example").exists()


def test_admin_add_and_mark_verified(world, client):
    client.force_login(world.root)
    response = client.post(
        "/admin/scim_provider/scimdomain/add/",
        {"tenant_id": str(world.org_a.pk), "domain": "Acme.Dev"},
    )
    assert response.status_code == 302, response.content
    row = ScimDomain.objects.get(domain="acme.dev")
    assert row.tenant_id == str(world.org_a.pk) and not row.is_verified
    listing = client.get("/admin/scim_provider/scimdomain/")
    assert listing.status_code == 200 and "acme.dev" in listing.text
    response = client.post(
        "/admin/scim_provider/scimdomain/",
        {"action": "mark_verified", "_selected_action": [row.pk]},
        follow=True,
    )
    row.refresh_from_db()
    assert row.is_verified and row.verified_by == ScimDomain.STAFF
    assert "acme.dev is verified" in response.text.lower()
    entry = ScimAuditEntry.objects.filter(action=ScimAuditEntry.DOMAIN_VERIFIED).latest("pk")
    assert entry.actor_name == "root" and entry.detail["domain"] == "acme.dev"

    claim = domains.add_domain(world.org_b, "acme.dev")
    response = client.post(
        "/admin/scim_provider/scimdomain/",
        {"action": "mark_verified", "_selected_action": [claim.pk]},
        follow=True,
    )
    assert "verified by another account" in response.text.lower()
    claim.refresh_from_db()
    assert not claim.is_verified
    # The change page is read-only: a verified domain is not renamed in place.
    change = client.get(f"/admin/scim_provider/scimdomain/{row.pk}/change/")
    assert change.status_code == 200 and 'name="domain"' not in change.text


def test_command(world, capsys):
    tenant = str(world.org_a.pk)
    call_command("scim_domains", "--tenant", tenant)
    assert "acme.example: verified (staff" in capsys.readouterr().out
    call_command("scim_domains", "--tenant", tenant, "--add", "Acme.Shop")
    out = capsys.readouterr().out
    row = domains.get_domain(world.org_a, "acme.shop")
    assert f'acme.shop. TXT "{domains.txt_record(row)}"' in out
    with pytest.raises(CommandError, match="No TXT record"):
        call_command("scim_domains", "--tenant", tenant, "--verify", "acme.shop")
    DNS["acme.shop"] = [domains.txt_record(row)]
    call_command("scim_domains", "--tenant", tenant, "--verify", "acme.shop")
    assert "acme.shop: verified (DNS TXT record" in capsys.readouterr().out
    call_command("scim_domains", "--tenant", tenant, "--remove", "acme.shop")
    assert "Removed acme.shop." in capsys.readouterr().out
    with pytest.raises(CommandError, match="no domain"):
        call_command("scim_domains", "--tenant", tenant, "--remove", "acme.shop")
    with pytest.raises(CommandError, match="--verified goes with --add"):
        call_command("scim_domains", "--tenant", tenant, "--verified")
    with pytest.raises(CommandError, match="verified by another account"):
        call_command("scim_domains", "--tenant", tenant, "--add", "globex.example", "--verified")
    with pytest.raises(CommandError, match="No organization"):
        call_command("scim_domains", "--tenant", "999", "--list")


def test_default_lookup_reads_txt_records(monkeypatch):
    """``lookup_txt`` (dnspython): TXT strings joined; none for a missing domain or record;
    ``LookupFailed`` when the DNS does not answer."""
    answers = {
        "acme.example": [SimpleNamespace(strings=[b"scim-domain-", b"verification=abc"])],
    }

    def resolve(domain, rdtype, lifetime):
        assert rdtype == "TXT" and lifetime <= 10
        if domain == "gone.example":
            raise dns.resolver.NXDOMAIN()
        if domain == "empty.example":
            raise dns.resolver.NoAnswer()
        if domain == "slow.example":
            raise dns.exception.Timeout()
        return answers[domain]

    monkeypatch.setattr(dns.resolver, "resolve", resolve)
    assert domains.lookup_txt("acme.example") == ["scim-domain-verification=abc"]
    assert domains.lookup_txt("gone.example") == []
    assert domains.lookup_txt("empty.example") == []
    with pytest.raises(domains.LookupFailed):
        domains.lookup_txt("slow.example")


def test_page_says_when_the_policy_is_not_enforced(world, browser, scim_config):
    note = "Domain verification is not enforced"
    assert note not in browser.get(page(world.org_a)).text
    scim_config(DOMAIN_POLICY="off")
    assert note in browser.get(page(world.org_a)).text
