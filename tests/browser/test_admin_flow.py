"""The Django admin in a real browser: a token's secret is shown once, works, and is revoked;
the request log and a user's provisioning history can be browsed.

Screenshots of each step go to ``artifacts/admin/``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.browser.conftest import ARTIFACTS_ROOT

ARTIFACTS = ARTIFACTS_ROOT / "admin"

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)


def call(url: str, plaintext: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method="POST" if body is not None else "GET",
        headers={
            "Authorization": f"Bearer {plaintext}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def admin_session(transactional_db, settings):
    settings.SCIM_PROVIDER = {**(settings.SCIM_PROVIDER or {}), "REQUEST_LOG": "all"}
    user = get_user_model()._default_manager.create_superuser(
        "root", "root@example.com", "not-used"
    )
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_admin_token_lifecycle_and_logs(live_server, admin_session, browser, settings):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": admin_session, "url": live_server.url}]
    )
    page = context.new_page()
    expect = sync_api.expect
    admin = f"{live_server.url}/admin/scim_provider"
    api = f"{live_server.url}/scim/v2"

    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    # 1. Create a token: the secret is on the confirmation page, with the base URL.
    page.goto(f"{admin}/scimtoken/add/")
    page.get_by_label("Name").fill("Okta production")
    page.locator('input[name="_save"]').click()
    expect(page.locator("#scim-token")).to_be_visible()
    plaintext = page.locator("#scim-token").inner_text().strip()
    assert page.locator("#scim-base-url").inner_text().strip() == f"{api}/"
    expect(page.get_by_role("alert")).to_contain_text("never be shown again")
    shot("01-token-created")

    # 2. It is never shown again: not in the list, not on the token's page.
    page.goto(f"{admin}/scimtoken/")
    expect(page.locator("#result_list")).to_contain_text("Okta production")
    assert plaintext not in page.content()
    page.get_by_role("link", name="Okta production").click()
    assert plaintext not in page.content()
    shot("02-token-page-without-secret")

    # 3. It works against the API; a user provisioned with it has a history.
    assert call(f"{api}/Users?count=1", plaintext)[0] == 200
    status, created = call(
        f"{api}/Users",
        plaintext,
        {"userName": "jane@example.com", "name": {"givenName": "Jane", "familyName": "Doe"}},
    )
    assert status == 201, created

    page.goto(f"{admin}/scimrequestlog/")
    expect(page.locator("#result_list")).to_contain_text("/scim/v2/Users")
    shot("03-request-log")
    page.goto(f"{admin}/scimuser/")
    page.get_by_role("link", name="jane@example.com").first.click()
    history = page.locator(".scim-history-row")
    expect(history.first).to_contain_text("POST")
    shot("04-provisioning-history")

    # 4. Revoke it with the admin action: the API answers 401 from the next request on.
    page.goto(f"{admin}/scimtoken/")
    page.locator('input[name="_selected_action"]').first.check()
    page.locator('select[name="action"]').select_option("revoke_tokens")
    page.locator('button[name="index"]').click()
    expect(page.locator(".messagelist")).to_contain_text("Revoked 1 token.")
    shot("05-revoked")
    status, body = call(f"{api}/Users?count=1", plaintext)
    assert status == 401
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    context.close()
