# Two commands: `make run` serves the shop with demo data, `make test` runs the suite.
# `make` alone lists every target (the `## ...` comment after each target).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The runtime set (requirements.txt) serves the shop; the dev set adds the
# test, fuzz and lint tools on top. One stamp each, so `make run` never
# installs the tools and `make test` installs them once.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
# Two workers on a two-core machine halve the wall time; pass PYTEST_ARGS= to run serially.
PYTEST_ARGS ?= -n auto
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/shop_make
# The interpreter to check: the virtualenv's once it exists.
CHECKED_PYTHON = $(if $(wildcard $(PY)),$(PY),$(PYTHON))
export PYTHON_VERSION_CHECK := import sys; sys.version_info >= (3, 11) or sys.exit(\
	f"shop needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]} (try: make PYTHON=python3.11 ...)")

.DEFAULT_GOAL := help
.PHONY: help python-version install install-dev run demo test test-postgres lint format \
	typecheck hadolint migrations-check deploy-check check clean

help: ## list every target
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-17s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo "  (variables: PORT=$(PORT), PYTHON=$(PYTHON), PYTEST_ARGS, TEST_DATABASE_URL)"

python-version: ## fail early, in one line, on a Python older than 3.11
	@$(CHECKED_PYTHON) -c "$$PYTHON_VERSION_CHECK"

$(PY): | python-version
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(RUNTIME_STAMP) $@

install: python-version $(RUNTIME_STAMP) ## virtualenv with the runtime dependencies only

install-dev: python-version $(DEV_STAMP) ## virtualenv with runtime + test/lint tools

run: install ## migrate SQLite, load demo data, serve on 127.0.0.1:PORT (8000; make run PORT=8001)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

demo: install ## migrate and load demo data without serving
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty

test: install-dev ## whole test suite (DATABASE_URL, else SQLite)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== Running tests against DATABASE_URL ($${DATABASE_URL%%://*})"; \
	else \
		echo "== Running tests against SQLite (set DATABASE_URL for PostgreSQL)"; \
	fi
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-postgres: install-dev ## start local PostgreSQL if needed (as CI does), run the suite on it
	.ci/start-postgres
	DATABASE_URL=$(TEST_DATABASE_URL) $(MAKE) --no-print-directory test

lint: install-dev ## ruff check and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev ## ruff fix and format
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install-dev ## mypy (strict on the modules listed in pyproject.toml)
	$(VENV)/bin/mypy

hadolint: install-dev ## lint the Dockerfile
	$(VENV)/bin/hadolint Dockerfile

migrations-check: install ## fail if models changed without a migration
	$(PY) manage.py makemigrations --check --dry-run

deploy-check: install ## check --deploy with production settings and a throwaway key
	DJANGO_SETTINGS_MODULE=shop.settings.prod ALLOWED_HOSTS=shop.example.com \
	SECRET_KEY="deploy-check-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(PY) manage.py check --deploy --fail-level WARNING

check: lint typecheck hadolint migrations-check deploy-check ## every check CI runs besides the tests

clean: ## remove the virtualenv, caches and build output
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache staticfiles .test-db.sqlite3 \
		build dist *.egg-info .coverage coverage.xml
