# Two commands: `make run` serves the shop with demo data, `make test` runs the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Two workers on a two-core machine halve the wall time; pass PYTEST_ARGS= to run serially.
PYTEST_ARGS ?= -n auto

.DEFAULT_GOAL := help
.PHONY: help install run demo test test-postgres lint format migrations-check deploy-check clean

help:
	@echo "make run    - set up, migrate SQLite, load demo data, serve on 127.0.0.1:8000"
	@echo "make test   - set up and run the whole test suite (DATABASE_URL or SQLite)"
	@echo "make lint   - ruff check and format check"

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:8000

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty

test: install
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== Running tests against DATABASE_URL ($${DATABASE_URL%%://*})"; \
	else \
		echo "== Running tests against SQLite (set DATABASE_URL for PostgreSQL)"; \
	fi
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles .test-db.sqlite3
