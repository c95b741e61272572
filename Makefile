# Two commands do all the set-up: `make run` (the application with demo data) and `make test` (the suite).
# Both create the virtual environment, install dependencies and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Installs come from the lock files (every package pinned with its hashes), written from pyproject.toml by `make lock`.
LOCK := requirements/dev.lock
LOCK_INPUTS := pyproject.toml requirements/build.in
# The stamp names the lock's and pyproject's contents: a changed lock (or project metadata) installs again.
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | md5sum | cut -c1-8)
export PATH := $(CURDIR)/$(BIN):$(PATH)
# The web server's port: `make run PORT=8080` (or PORT=8080 make run).
PORT ?= 8000
# A package manager that is busy (another apt or pip holding its lock, a flaky mirror) is tried again, five times.
RETRY = bash -c 'for i in 1 2 3 4 5; do "$$@" && exit 0; [ $$i = 5 ] && exit 1; \
	echo "$$1 failed (busy or offline?); trying again in $$((i * 5)) s" >&2; sleep $$((i * 5)); done' retry

.PHONY: run test setup lint lock messages fonts browser clean

# Exactly the locked packages, each checked against its hash; then the project itself, built with the locked
# setuptools and without looking for dependencies again.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(RETRY) $(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(RETRY) $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-* && touch $@

# After changing the dependencies in pyproject.toml: writes both lock files again (the newest versions pyproject.toml
# allows, with their hashes; production's lock holds the same versions, without the dev extras), then installs them.
# Versions already locked that still fit are kept (only what changed is resolved); `make lock UPGRADE=--upgrade`
# takes the newest of everything.
UPGRADE ?=
# The suite runs in this many processes (pytest-xdist; 2 cores here). TEST_PROCESSES=0 runs it in one.
TEST_PROCESSES ?= 2
UV_COMPILE = $(BIN)/uv pip compile $(LOCK_INPUTS) --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"
lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(RETRY) $(BIN)/python -m pip install --quiet uv; }
	$(RETRY) $(UV_COMPILE) $(UPGRADE) --extra dev -o $(LOCK)
	$(RETRY) $(UV_COMPILE) -c $(LOCK) -o requirements/prod.lock
	$(MAKE) setup

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
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)
	@# How often the check finds what a demand is (dev set and our own held-out set): figures printed, never
	@# asserted; an evaluation that cannot run at all fails the target.
	$(BIN)/python bench/check_eval.py --catalogue bench/check_eval_data/catalogue.csv \
		--demands bench/check_eval_data/dev.tsv --demands bench/check_eval_holdout.tsv --quiet
	@# Photos of three notices read and judged (docs/performance.md has the full run): figures printed, never failing.
	-$(BIN)/python bench/notices.py --n 3 --quiet
	@# The benchmark smoke run needs PostgreSQL (CI): figures printed, nothing asserted.
	@if echo "$$DATABASE_URL" | grep -q '^postgres'; then bench/run --scale S --smoke; fi

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var/staticfiles var/test-db.sqlite3
