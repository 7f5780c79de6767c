# Marquee: `make run` serves the API with demo data, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lint format serve bench clean cluster cluster-test cluster-down

# The email worker runs beside the server and prints the outbox's emails (the console
# backend, unless EMAIL_URL or EMAIL_HOST says otherwise); it stops with the server.
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py demo_ticket --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py send_emails & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# PYTEST_ARGS passes options to pytest, e.g. PYTEST_ARGS="-m 'mysql or engine'" (what CI
# runs on MariaDB) or PYTEST_ARGS="-m 'not mysql and not engine'" (what it runs on SQLite).
PYTEST_ARGS ?=
test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt scripts/install-system-deps.sh
	scripts/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# --- production serving and the benchmark (docs/performance.md) -----------------------
# `make serve`: gunicorn with DEBUG=0 on the local MariaDB database `marquee` and Redis.
# Override any of these on the command line or in the environment.
SERVE_DATABASE_URL ?= mysql://root@127.0.0.1:3306/marquee
SERVE_REDIS_URL ?= redis://127.0.0.1:6379/0
SERVE_ENV = DEBUG=0 DATABASE_URL=$(SERVE_DATABASE_URL) REDIS_URL=$(SERVE_REDIS_URL) \
	SECRET_KEY="$${SECRET_KEY:-local-serve-only-not-secret-0123456789abcdefghijklmnop}" \
	SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}" \
	SESSION_COOKIE_SECURE="$${SESSION_COOKIE_SECURE:-0}" \
	CSRF_COOKIE_SECURE="$${CSRF_COOKIE_SECURE:-0}" \
	SECURE_HSTS_SECONDS="$${SECURE_HSTS_SECONDS:-0}"

serve: $(VENV)/.installed
	$(SERVE_ENV) $(BIN)/python bench/ensure_database.py
	$(SERVE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SERVE_ENV) $(BIN)/python manage.py collectstatic --noinput -v 0
	$(SERVE_ENV) HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c config/gunicorn.conf.py

# `make bench`: a few minutes; results in bench/results/latest.{md,json}. BENCH_ARGS
# passes options to bench/run.py (e.g. BENCH_ARGS="--skip-prod").
BENCH_ARGS ?=
bench: $(VENV)/.installed
	scripts/install-system-deps.sh wrk
	timeout -s TERM 1000 $(BIN)/python bench/run.py $(BENCH_ARGS)

# --- the production topology on this machine (deploy/, docs/scaling.md) ----------------
# nginx, two gunicorn app nodes, a MariaDB primary with a GTID replica and Redis, on
# private ports (8410-8413, 3410-3411, 6410) and a temporary directory.
cluster:
	scripts/cluster up

# Starts its own topology, runs the cluster test through nginx, stops everything (a few
# minutes; results in cluster/results/latest.md).
cluster-test:
	scripts/cluster test

cluster-down:
	scripts/cluster down
