# Developer entry points. Everything runs from ./.venv, which is created and
# kept up to date here: nothing needs installing by hand beyond python3.
#
#   make demo        example project on 127.0.0.1:8000: admin login, demo organization, SCIM token
#   make test        lint, migrations check, tests on SQLite and PostgreSQL
#   make test-fast   tests on SQLite only
#   make test-multiprocess  two gunicorn servers on one PostgreSQL and one Redis
#   make lint        ruff check
#   make docs        documentation site into site/ (mkdocs build --strict)
#   make dist        sdist + wheel into dist/, twine check, wheel smoke test
#
# Variables: PYTHON (interpreter used to create the venv), HOST, PORT (demo),
# PYTEST_ARGS (extra pytest arguments), TOX_ARGS (make tox).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
TOX_ARGS ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv demo test test-fast test-pg test-multiprocess test-custom-user lint migrations docs dist browser-deps tox clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "error: $(PYTHON) is older than Python 3.11; run with PYTHON=python3.11 (or newer)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) \
		|| { rm -rf $(VENV); echo "error: '$(PYTHON) -m venv' failed (Debian: apt-get install python3-venv)" >&2; exit 1; }

# Reinstall only when pyproject.toml changes (the install is editable).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	@out="$$($(BIN)/python manage.py demo_setup --base-url "http://$(HOST):$(PORT)")"; \
	token="$$(printf '%s\n' "$$out" | tail -n 1)"; \
	[ -n "$$token" ] || { echo "error: demo_setup printed no token" >&2; exit 1; }; \
	echo; \
	printf '%s\n' "$$out"; \
	echo; \
	echo "Try it:"; \
	echo "  curl -H 'Authorization: Bearer $$token' http://$(HOST):$(PORT)/scim/v2/Users"; \
	echo; \
	exec $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .

# Models and migrations agree: the app and the test app (test settings), and the example
# project's apps (its own settings).
migrations: $(STAMP)
	PYTHONPATH=. $(BIN)/django-admin makemigrations --check --dry-run --settings=tests.settings scim_provider testapp
	env -u DATABASE_URL $(BIN)/python manage.py makemigrations --check --dry-run

# pytest exits 5 when it collects nothing: that is a failure here too.
# $(1): command prefix (env, wrapper), $(2): extra pytest arguments.
pytest = rc=0; $(1) $(BIN)/python -m pytest $(2) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; exit $$rc

test-fast: $(STAMP)
	@echo "== pytest on SQLite"
	@$(call pytest,env -u DATABASE_URL)

test-pg: $(STAMP)
	@echo "== pytest on PostgreSQL"
	@$(call pytest,scripts/with-postgres)

# Two gunicorn processes of the example project on one throwaway PostgreSQL and one
# throwaway Redis (Django's RedisCache), a client alternating between them: revocation,
# rate limits, cursors and page bookmarks, the count cache, and the cache going down.
test-multiprocess: $(STAMP)
	@echo "== two server processes on PostgreSQL and Redis"
	@$(call pytest,scripts/with-postgres scripts/with-redis,tests/multiprocess)

# Re-runs the suite with a swapped user model, once tests/settings_custom_user.py exists.
test-custom-user: $(STAMP)
	@if [ ! -f tests/settings_custom_user.py ]; then \
		echo "== skipped the custom user run: no tests/settings_custom_user.py yet"; exit 0; fi; \
	echo "== pytest on SQLite with tests.settings_custom_user"; \
	$(call pytest,env -u DATABASE_URL DJANGO_SETTINGS_MODULE=tests.settings_custom_user,--ds=tests.settings_custom_user)

test: lint migrations docs dist browser-deps test-fast test-pg test-multiprocess test-custom-user
	@echo "== make test: all steps passed"

# The full matrix; finds pyenv's other Pythons when they are installed.
tox: $(STAMP)
	@[ -x $(BIN)/tox ] || $(BIN)/python -m pip install --quiet tox
	PATH="$$PATH$$(for d in $(HOME)/.pyenv/versions/3.1[1-9]*/bin; do [ -d "$$d" ] && printf ':%s' "$$d"; done)" \
		$(BIN)/tox $(TOX_ARGS)

# The browser tests (tests/browser) drive Debian's Chromium with Playwright; never a
# browser of Playwright's own (playwright itself is in the test extra). Chromium is
# installed when missing (as root, as in CI); without it those tests are skipped.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ]; then \
		echo "== installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

clean:
	rm -rf $(VENV) .tox .pytest_cache .ruff_cache .hypothesis build dist site *.egg-info

# Documentation and release tools (the `docs` and `release` extras), in the same venv.
RELEASE_STAMP := $(VENV)/.installed-release

$(RELEASE_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,docs,release]"
	@touch $@

# The site, into site/; any warning (a broken link or anchor, a missing nav page) fails.
docs: $(RELEASE_STAMP)
	@echo "== mkdocs build --strict"
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# sdist and wheel into dist/, checked by twine, then the wheel installed into a throwaway
# venv (outside the source tree) and smoke-tested: imports, data files, checks, migrate,
# a SCIM request. DIST_SMOKE=0 skips the smoke test.
DIST_SMOKE ?= 1
dist: $(RELEASE_STAMP)
	@echo "== python -m build, twine check, wheel smoke test"
	rm -rf dist
	$(BIN)/python -m build --quiet --outdir dist .
	$(BIN)/twine check --strict dist/*
	@if [ "$(DIST_SMOKE)" = 1 ]; then \
		tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
		$(BIN)/python -m venv --without-pip "$$tmp/venv"; \
		$(BIN)/python -m pip --python "$$tmp/venv/bin/python" install --quiet dist/*.whl; \
		cp scripts/wheel_smoke.py "$$tmp/"; \
		cd "$$tmp" && "$$tmp/venv/bin/python" -I wheel_smoke.py; \
	fi
