"""A customer admin's whole flow in a real browser (Debian's Chromium, driven by Playwright).

Open the SCIM settings, create a token, copy it, send an Okta-shaped request with it, see the
request in the activity log, rotate, revoke. Every step leaves a screenshot in
``artifacts/selfservice/`` (kept when the test fails).

Needs ``/usr/bin/chromium`` (``apt-get install chromium``; override with ``CHROMIUM_PATH``)
and ``pip install playwright`` (its own browsers are never downloaded): skipped otherwise.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from scim_provider import tokens
from tests.browser.conftest import ARTIFACTS_ROOT
from tests.factories import OrganizationFactory, UserFactory

ARTIFACTS = ARTIFACTS_ROOT / "selfservice"

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)


@pytest.fixture
def customer_admin(transactional_db, settings):
    """A logged-in admin of one organization (not a superuser), with the host's hooks."""
    org = OrganizationFactory(name="Acme Corp")
    settings.SCIM_PROVIDER = {
        **(settings.SCIM_PROVIDER or {}),
        "TENANT_MODEL": "testapp.Organization",
        "REQUEST_LOG": "all",
        "SELF_SERVICE_PERMISSION": "tests.integration.selfservice_helpers.admin_of_first_org",
    }
    user = UserFactory(username="it-admin@acme.example")
    client = Client()
    client.force_login(user)
    return org, client.cookies[settings.SESSION_COOKIE_NAME].value


def scim_request(base: str, plaintext: str, scheme: str = "Bearer ") -> tuple[int, dict]:
    """Okta's first request: is this user already there? ``scheme=""``: Okta Header Auth
    with the bare token typed in."""
    query = urllib.parse.urlencode({"filter": 'userName eq "x"', "startIndex": 1, "count": 100})
    request = urllib.request.Request(
        f"{base}/Users?{query}",
        headers={"Authorization": f"{scheme}{plaintext}", "Accept": "application/scim+json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_customer_admin_flow(live_server, customer_admin, browser, settings):
    org, session = customer_admin
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    # Without the permission, the copy button falls back to selecting the text.
    with contextlib.suppress(Exception):
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    expect = sync_api.expect
    home = f"{live_server.url}/orgs/{org.pk}/scim-settings/"

    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    # 1. The overview: the base URL to copy, reachable from the keyboard.
    page.goto(home)
    expect(page.get_by_role("heading", level=1)).to_have_text("SCIM provisioning")
    base_url = page.locator("#scim-base-url").inner_text().strip()
    assert base_url == f"{live_server.url}/scim/v2"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    shot("01-overview")

    # 2. Create a token, with the keyboard; the secret is shown once.
    page.get_by_role("link", name="Tokens", exact=True).click()
    page.get_by_label("Name").fill("Okta production")
    page.get_by_label("Name").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Token created")
    expect(page.get_by_role("alert")).to_contain_text("never be shown again")
    plaintext = page.locator("#scim-new-token").inner_text().strip()
    assert plaintext.startswith("scim_") and len(plaintext) > 50
    page.get_by_role("button", name="Copy the new token").click()
    expect(page.locator("#scim-new-token-status")).not_to_be_empty()
    status = page.locator("#scim-new-token-status").inner_text()
    if "Copied" in status:
        assert page.evaluate("navigator.clipboard.readText()") == plaintext
    shot("02-token-created")

    # 3. The setup page: the Okta Header Auth section, its base URL copied from the
    # keyboard; the identity provider uses the token (Bearer, and bare as Header Auth).
    page.goto(home)
    page.get_by_role("link", name="Set up your identity provider").click()
    section = page.get_by_role("region", name="Okta: Header Auth")
    expect(section.get_by_role("heading", level=2)).to_have_text("Okta: Header Auth")
    expect(section.locator("#scim-okta-header-base-url")).to_have_text(base_url)
    section.get_by_role("button", name="Copy Base URL for Okta Header Auth").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#scim-okta-header-base-url-status")).not_to_be_empty()
    shot("02b-setup")
    section.screenshot(path=str(ARTIFACTS / "02c-setup-okta-header-auth.png"))
    code, body = scim_request(base_url, plaintext)
    assert code == 200 and body["totalResults"] == 0
    assert scim_request(base_url, plaintext, scheme="")[0] == 200

    # 4. The request appears in the activity log.
    page.goto(home)
    page.get_by_role("link", name="Activity").click()
    row = page.locator("#scim-activity tbody tr").first
    expect(row).to_contain_text("GET /scim/v2/Users")
    expect(row).to_contain_text('filter=userName eq "x"')
    expect(row).to_contain_text("200")
    shot("03-activity")

    # 5. Rotate: a new secret; the old one keeps working during the grace period.
    page.get_by_role("link", name="Tokens", exact=True).click()
    page.get_by_role("link", name="Rotate Okta production").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rotate")
    page.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Token rotated")
    new_plaintext = page.locator("#scim-new-token").inner_text().strip()
    assert new_plaintext != plaintext
    shot("04-token-rotated")
    assert scim_request(base_url, plaintext)[0] == 200
    assert scim_request(base_url, new_plaintext)[0] == 200

    # 6. Revoke the new token: refused at once.
    page.get_by_role("link", name="I have copied the token").click()
    new_prefix = new_plaintext[: -tokens.SECRET_LENGTH]  # what the page shows
    row = page.locator(f'tr[data-token-prefix="{new_prefix}"]')
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status").first).to_contain_text("revoked")
    expect(page.locator(f'tr[data-token-prefix="{new_prefix}"]')).to_contain_text("Revoked")
    shot("05-token-revoked")
    code, body = scim_request(base_url, new_plaintext)
    assert code == 401 and "revoked" in body["detail"]
    context.close()  # end the browser's keep-alive connections while the server runs
