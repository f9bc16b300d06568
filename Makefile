# The two commands of the README are `make run` and `make test`; CI calls `.ci/run`.
# `make test-fast` is the edit loop: the suite without the browser, fault and slow tests.
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
# Webhook URLs shown in the product point at the address it is served on.
export PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-fast lint lint-python lint-js celery-adapter-report format check-chromium frontend migrate seed worker beat bench-runner bench-e2e bench-responding bench-peer bench-turn screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/static/dist/.built: node_modules/.installed frontend/build.mjs $(shell find frontend/src -type f 2>/dev/null)
	npm run --silent build
	touch $@

frontend: frontend/static/dist/.built

migrate: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: $(VENV)/.installed frontend seed
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

worker: $(VENV)/.installed
	$(BIN)/celery -A functions_ide worker -Q default,interactive --pool threads --concurrency 4 --loglevel=INFO

# The pictures of docs/frontend.md: the main pages, light and dark, with real content.
screenshots: $(VENV)/.installed frontend check-chromium
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest -q -m browser tests/browser/test_screenshots.py

# The browser tests drive Debian's Chromium. Missing, it is installed where that needs
# no one's say (root, with apt-get: CI, a fresh machine or container); anyone else is told how.
APT_GET ?= apt-get
check-chromium:
	@test -x $(CHROMIUM) && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v $(APT_GET) >/dev/null 2>&1; then \
	  echo "The browser tests need Debian's Chromium at $(CHROMIUM): installing it (apt-get install chromium)."; \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium >/dev/null || { \
	    echo "apt-get could not install chromium; install it yourself, or skip the browser tests with make test-fast."; exit 1; }; \
	  test -x $(CHROMIUM) || { echo "apt-get installed chromium, but not at $(CHROMIUM)."; exit 1; }; \
	else \
	  echo "The browser tests need Debian's Chromium at $(CHROMIUM)."; \
	  echo "Install it with:  sudo apt-get update && sudo apt-get install -y chromium"; exit 1; \
	fi

lint: lint-python lint-js

# ruff, then the import contracts of pyproject.toml (ARCHITECTURE.md's package table).
lint-python: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

lint-js: node_modules/.installed
	npx --no-install eslint frontend/src frontend/build.mjs runner/js/build.mjs eslint.config.js

# After a Celery upgrade: what functions_ide/celery_adapter.py would need to say.
celery-adapter-report: $(VENV)/.installed
	$(BIN)/python -c "from functions_ide.celery_adapter import report; report()"

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.installed frontend check-chromium lint
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# No browser, no live servers or fault injection, nothing marked slow; no lint either.
# On TEST_WORKERS pytest-xdist processes, unless REDIS_URL is set (the workers would share
# Celery's queues there). Bytecode is kept even where PYTHONDONTWRITEBYTECODE is set, or
# every sandbox and subprocess a test starts compiles the project again.
TEST_WORKERS ?= 2
test-fast: export PYTHONDONTWRITEBYTECODE =
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -q -m "not browser and not slow and not integration" \
	  $(if $(REDIS_URL),,-n $(TEST_WORKERS)) $(PYTEST_ARGS)

bench-runner: $(VENV)/.installed
	$(BIN)/python bench/runner_bench.py
	$(BIN)/python bench/isolate_memory_bench.py

# Needs PostgreSQL and Redis on localhost; writes docs/performance.md.
bench-e2e: $(VENV)/.installed
	$(BIN)/python bench/e2e_bench.py --rate $(or $(RATE),300) --seconds $(or $(SECONDS),60) --scaling 1,2,4 --write

# A function that responds to the sender: the sender's wait p50/p99 at 50/s (writes
# docs/performance.md, section "Answering the sender").
bench-responding: $(VENV)/.installed
	$(BIN)/python bench/e2e_bench.py --responding --rate $(or $(RATE),50) --seconds $(or $(SECONDS),60) --write

# One worker turn of 1, 16 and 100 stored webhooks, its CPU and wall, on PostgreSQL.
bench-turn: $(VENV)/.installed
	$(BIN)/python bench/turn_bench.py

# The product and the Node reference of ../shared/peer-ingest/ alternately under the same
# load, with the ratios (needs npm; the peer's packages are installed once, see bench/peer.py).
bench-peer: $(VENV)/.installed
	$(BIN)/python bench/e2e_bench.py --peer --rate $(or $(RATE),300) --seconds $(or $(SECONDS),20) --rounds $(or $(ROUNDS),3)

beat: $(VENV)/.installed
	$(BIN)/celery -A functions_ide beat --loglevel=INFO

clean:
	rm -rf $(VENV) node_modules staticfiles frontend/static/dist
