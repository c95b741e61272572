# Two commands do all the set-up: `make run` (the application with demo data) and `make test` (the suite).
# Both create the virtual environment, install dependencies and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test setup lint messages browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

messages: $(STAMP)
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

# Runs web (port 8000), Celery worker and Celery beat together; Ctrl-C stops all three.
run: export DJANGO_DEBUG ?= 1
run: messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/honcho -f Procfile.dev start

# Debian's Chromium for the end-to-end tests (Playwright's own browser download does not work here).
browser:
	@command -v /usr/bin/chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	@command -v docker-compose >/dev/null || apt-get install -y -qq docker-compose || true

test: export DJANGO_TESTING ?= 1
test: export DJANGO_SECRET_KEY ?= test-only-not-secret
test: export DJANGO_ALLOWED_HOSTS ?= localhost,127.0.0.1,testserver
test: messages browser
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var/staticfiles var/test-db.sqlite3
