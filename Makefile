# Two commands do all the set-up: `make run` (the application with demo data) and `make test` (the suite).
# Both create the virtual environment, install dependencies and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The web server's port: `make run PORT=8080` (or PORT=8080 make run).
PORT ?= 8000
# A package manager that is busy (another apt or pip holding its lock, a flaky mirror) is tried again, five times.
RETRY = bash -c 'for i in 1 2 3 4 5; do "$$@" && exit 0; [ $$i = 5 ] && exit 1; \
	echo "$$1 failed (busy or offline?); trying again in $$((i * 5)) s" >&2; sleep $$((i * 5)); done' retry

.PHONY: run test setup lint messages fonts browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(RETRY) $(BIN)/python -m pip install --quiet --upgrade pip
	$(RETRY) $(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP)

messages: $(STAMP)
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0

# Runs web (port $(PORT), 8000 unless PORT= says otherwise), Celery worker and Celery beat together; Ctrl-C stops
# all three.
run: export DJANGO_DEBUG ?= 1
run: messages fonts
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/honcho -f Procfile.dev start --port $(PORT)

# System packages, installed only where missing: a Chinese font and Pango for the PDF reply slips,
# Debian's Chromium for the browser tests (Playwright's own download does not work), docker-compose.
APT_INSTALL = { $(RETRY) apt-get update -qq || true; } && \
	$(RETRY) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y -qq
fonts:
	@fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || $(APT_INSTALL) fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0

browser: fonts
	@test -x /usr/bin/chromium || $(APT_INSTALL) chromium
	@command -v docker-compose >/dev/null || $(APT_INSTALL) docker-compose
	@command -v pdffonts >/dev/null || $(APT_INSTALL) poppler-utils

test: export DJANGO_TESTING ?= 1
test: export DJANGO_SECRET_KEY ?= test-only-not-secret
test: export DJANGO_ALLOWED_HOSTS ?= localhost,127.0.0.1,testserver
test: messages browser
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@# How often the check finds what a demand is (dev set and our own held-out set): figures printed, never failing.
	-$(BIN)/python bench/check_eval.py --catalogue bench/check_eval_data/catalogue.csv \
		--demands bench/check_eval_data/dev.tsv --demands bench/check_eval_holdout.tsv --quiet
	@# Photos of three notices read and judged (docs/performance.md has the full run): figures printed, never failing.
	-$(BIN)/python bench/notices.py --n 3 --quiet
	@# The benchmark smoke run needs PostgreSQL (CI): figures printed, nothing asserted.
	@if echo "$$DATABASE_URL" | grep -q '^postgres'; then bench/run --scale S --smoke; fi

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var/staticfiles var/test-db.sqlite3
