# The two commands: `make run` and `make test`. Each sets up what it needs first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app kiosk

.PHONY: run test soak lint lock bench bench-import bench-intake translations messages chromium clean help

help:
	@echo "make run    set up and serve the kiosk on http://127.0.0.1:8000"
	@echo "make test   set up and run the whole test suite"

# Exactly the versions CI tested, each checked against its hash: requirements.lock is made
# from the ranges in pyproject.toml by `make lock`. Our own package goes in on top, editable.
LOCK := requirements.lock
BENCH_LOCK := requirements-bench.lock
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# After changing a range in pyproject.toml: re-resolve both lock files, keeping every other
# pin (uv is installed into the venv for this only); `make lock UPGRADE=1` takes the newest
# releases within the ranges instead. Then `make test`.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		--quiet $(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra bench --generate-hashes \
		--python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) -o $(BENCH_LOCK)

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d kiosk/translations

# After changing user-facing strings: re-extract, then fill the new Swedish msgstr entries.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project "Store Kiosk" -o kiosk/translations/messages.pot .
	$(BIN)/pybabel update -i kiosk/translations/messages.pot -d kiosk/translations \
		--no-fuzzy-matching --ignore-obsolete

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

run: $(STAMP) translations
	$(FLASK) db upgrade
	$(FLASK) demo --if-empty
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(STAMP) translations chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The long variants: many more generated inputs at every form, 1,000 trials per race; then
# gunicorn workers killed under load for SOAK_CRASH_SECONDS per database, with one restart
# of the PostgreSQL cluster. That last part runs alone: the restart cuts every connection.
SOAK_CRASH_SECONDS ?= 300
soak: $(STAMP) translations
	HYPOTHESIS_PROFILE=soak KIOSK_RACE_TRIALS=1000 $(BIN)/pytest -n 2 \
		tests/http/test_fuzz.py tests/db/test_races.py $(PYTEST_ARGS)
	KIOSK_CRASH_SECONDS=$(SOAK_CRASH_SECONDS) KIOSK_CRASH_RESTART_POSTGRES=1 $(BIN)/pytest -rP \
		tests/crash $(PYTEST_ARGS)

# The load tool and the profiler go into the venv for the bench only (not the test extras).
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP) $(BENCH_LOCK)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r $(BENCH_LOCK)
	touch $(BENCH_STAMP)

# Load test on SQLite and PostgreSQL (see docs/BENCHMARKS.md); BENCH_STORES and
# BENCH_DAYS size the data set (10 and 365 by default).
bench: $(BENCH_STAMP) translations
	bash bench/run.sh

# One phase of the bench alone: a 5,000-product catalog file previewed and imported through
# the app on SQLite and PostgreSQL (bound: 10 s an import). Needs no Locust.
bench-import: $(STAMP) translations
	$(BIN)/python bench/catalog_import.py

# Only the intake phase (one tablet scanning a 500-serial delivery at 10 a second), on a small
# data set; it rewrites only its own part of docs/BENCHMARKS.md.
bench-intake: $(BENCH_STAMP) translations
	BENCH_ONLY=intake bash bench/run.sh

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
