"""``make demo`` opens every door: what ``manage.py demo_setup`` prints (the admin URL and
login, the demo organization's self-service page, the SCIM base URL, a token) all works,
run against the example project as a real server."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from tests.acceptance.recipe_server import LIST_URN, RecipeServer


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    server = RecipeServer("basic", tmp_path_factory.getbasetemp()).start()
    yield server
    server.stop()


def printed(output: str, label: str) -> str:
    match = re.search(rf"^\s*{label}:\s+(\S+)", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_every_printed_door_opens(demo):
    output = demo.manage("demo_setup", "--base-url", demo.root)
    admin_url, login = printed(output, "Admin"), printed(output, "login")
    password, selfservice = printed(output, "password"), printed(output, "Self-service")
    base_url, token = printed(output, "SCIM base URL"), output.strip().splitlines()[-1]
    assert admin_url == f"{demo.root}/admin/" and base_url == f"{demo.root}/scim/v2/"

    # The SCIM token works, bound to the demo organization.
    demo.token, demo.authorization = token, f"Bearer {token}"
    assert demo.ok("GET", "/Users?startIndex=1&count=2")["schemas"] == [LIST_URN]

    # The admin login works: the admin index, then the self-service page of the organization.
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login_url = f"{demo.root}/admin/login/?next=/admin/"
    page = browser.open(login_url).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "username": login, "password": password, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(login_url, data=form, headers={"Referer": login_url})
    with browser.open(request) as answer:
        assert answer.url == admin_url, answer.url
        assert "SCIM" in answer.read().decode()
    with browser.open(selfservice) as answer:
        assert answer.status == 200
        page = answer.read().decode()
    assert "Acme" in page
    with browser.open(f"{selfservice}tokens/") as answer:
        assert token[:10] in answer.read().decode()  # its displayed prefix

    # A second run gives a new password; the old one no longer works.
    again = demo.manage("demo_setup", "--base-url", demo.root)
    assert printed(again, "password") != password
