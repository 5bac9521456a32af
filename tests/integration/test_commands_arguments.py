"""Every ``scim_*`` command answers a bad argument with a ``CommandError`` that says what is
wrong (``manage.py`` prints it on one line, exit status 1), never a traceback, and writes
nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from scim_provider.models import ScimRequestLog, ScimToken
from tests.testapp.models import Organization

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tenants(scim_config):
    scim_config(TENANT_MODEL="testapp.Organization")
    return Organization.objects.create(name="Acme")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scim_create_token", "--name", "x", "--tenant", "acme"], "'acme' is not a primary key"),
        (["scim_create_token", "--name", "x", "--tenant", "99999"], "No organization"),
        (["scim_create_token", "--name", "x", "--expires-in", "0"], "--expires-in"),
        (["scim_create_token", "--name", "x", "--expires-in", "99999999999"], "at most 36500"),
        (["scim_create_token", "--name", "   "], "--name must be 1 to 200"),
        (["scim_create_token", "--name", "x" * 201], "--name must be 1 to 200"),
        (["scim_link_users", "--tenant", "acme"], "'acme' is not a primary key"),
        (["scim_link_users", "--batch-size", "0"], "--batch-size"),
        (["scim_groupmaps_resync", "--tenant", "1.5"], "'1.5' is not a primary key"),
        (["scim_purge_log", "--older-than", "-1"], "--older-than"),
        (["scim_purge_log", "--older-than", "9999999"], "at most 36500"),
        (["scim_purge_log", "--batch-size", "0"], "--batch-size"),
        (["scim_token_expiry_notice", "--days", "7", "-1"], "--days"),
        (["scim_token_expiry_notice", "--days", "99999999"], "at most 36500"),
        (["scim_revoke_token", "nope"], "No single SCIM token matches 'nope'"),
        (["scim_revoke_token", "9" * 30], "No single SCIM token"),
    ],
)
def test_bad_arguments_are_command_errors(tenants, args, message):
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("*", r"\*")):
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    assert not ScimToken.objects.exists()
    assert not ScimRequestLog.objects.exists()


def test_manage_py_prints_one_line_not_a_traceback(tmp_path):
    """The example project (an integer-keyed ``Organization`` as tenant), as a person runs it."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "scim_create_token", "--name", "x", "--tenant", "acme"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "CommandError: 'acme' is not a primary key of organization "
        "(a tenant is named by its primary key)."
    )
