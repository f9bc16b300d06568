# The two commands of the README are `make run` and `make test`; CI calls `.ci/run`.
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
# Webhook URLs shown in the product point at the address it is served on.
export PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run test lint format check-chromium frontend migrate seed worker beat bench-runner bench-e2e clean

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

check-chromium:
	@test -x $(CHROMIUM) || { echo "The browser tests need Debian's Chromium at $(CHROMIUM)."; \
	  echo "Install it with:  sudo apt-get update && sudo apt-get install -y chromium"; exit 1; }

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: $(VENV)/.installed frontend check-chromium lint
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench-runner: $(VENV)/.installed
	$(BIN)/python bench/runner_bench.py
	$(BIN)/python bench/isolate_memory_bench.py

# Needs PostgreSQL and Redis on localhost; writes docs/performance.md.
bench-e2e: $(VENV)/.installed
	$(BIN)/python bench/e2e_bench.py --rate $(or $(RATE),300) --seconds $(or $(SECONDS),60) --scaling 1,2,4 --write

beat: $(VENV)/.installed
	$(BIN)/celery -A functions_ide beat --loglevel=INFO

clean:
	rm -rf $(VENV) node_modules staticfiles frontend/static/dist
