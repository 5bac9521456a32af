"""The documentation keeps up with the code: every setting is documented, every page of the
site's navigation exists. (`make docs` builds the site itself, with warnings as errors.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scim_provider.conf import DEFAULTS, TOKEN_MODEL_SETTING

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SETTINGS_PAGE = DOCS / "settings.md"

# A row of a Markdown table whose first cell is a backquoted name: | `MAX_PAGE_SIZE` | ...
TABLE_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", re.MULTILINE)


def documented_settings() -> set[str]:
    return set(TABLE_ROW.findall(SETTINGS_PAGE.read_text(encoding="utf-8")))


def nav_pages() -> list[str]:
    """The .md files named in the ``nav`` of mkdocs.yml (no YAML parser needed)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.search(r"^nav:\n((?:[ \t]+.*\n?|\n)*)", text, re.MULTILINE)
    assert nav, "mkdocs.yml has no nav"
    return re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w./-]+\.md)\s*$", nav.group(1), re.MULTILINE)


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_setting_is_documented(key):
    assert key in documented_settings(), (
        f"SCIM_PROVIDER[{key!r}] has no row in docs/settings.md: add "
        f"'| `{key}` | default | what it does |' to its Keys table"
    )


def test_token_model_setting_is_documented():
    assert TOKEN_MODEL_SETTING in documented_settings()


def test_documented_settings_exist():
    stale = documented_settings() - set(DEFAULTS) - {TOKEN_MODEL_SETTING}
    assert not stale, f"docs/settings.md documents settings that do not exist: {sorted(stale)}"


def test_nav_pages_exist():
    pages = nav_pages()
    assert "index.md" in pages and len(pages) > 5, pages
    missing = [page for page in pages if not (DOCS / page).is_file()]
    assert not missing, f"mkdocs.yml nav names pages that do not exist in docs/: {missing}"


COMMANDS_PAGE = DOCS / "commands.md"
# The core app's commands and the self-service app's.
COMMANDS_DIRS = [
    ROOT / "scim_provider" / "management" / "commands",
    ROOT / "scim_provider" / "selfservice" / "management" / "commands",
]


def commands() -> list[str]:
    return sorted(p.stem for d in COMMANDS_DIRS for p in d.glob("scim_*.py"))


def command_options(name: str) -> list[str]:
    """The ``--options`` a command declares (``parser.add_argument("--x", ...)``)."""
    path = next(d / f"{name}.py" for d in COMMANDS_DIRS if (d / f"{name}.py").exists())
    source = path.read_text(encoding="utf-8")
    return re.findall(r"add_argument\(\s*\"(--[a-z-]+)\"", source)


def test_there_are_commands():
    assert len(commands()) >= 7, commands()


@pytest.mark.parametrize("name", commands())
def test_command_is_documented_with_its_options(name):
    page = COMMANDS_PAGE.read_text(encoding="utf-8")
    section = re.search(rf"^## `{name}`\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL)
    assert section, f"docs/commands.md has no '## `{name}`' section"
    missing = [o for o in command_options(name) if f"`{o}" not in section.group(1)]
    assert not missing, f"docs/commands.md does not document {name}'s {missing}"


def test_documented_commands_exist():
    page = COMMANDS_PAGE.read_text(encoding="utf-8")
    stale = set(re.findall(r"^## `(scim_\w+)`", page, re.MULTILINE)) - set(commands())
    assert not stale, f"docs/commands.md documents commands that do not exist: {sorted(stale)}"


def test_docs_reference_nothing_outside_the_repository():
    """Docs, code and tests stand alone: no path into a sibling checkout."""
    offenders = []
    for folder in ("docs", "scim_provider", "tests", "example_project", "scripts", "benchmarks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".md", ".py", ".html", "") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(r"\.\./shared|\bshared/(docs|tools|seeds)", text):
                offenders.append(str(path.relative_to(ROOT)))
    for name in ("README.md", "pyproject.toml", "CHANGELOG.md", "mkdocs.yml"):
        if re.search(r"\.\./shared|\bshared/(docs|tools|seeds)", (ROOT / name).read_text()):
            offenders.append(name)
    assert not offenders, offenders
