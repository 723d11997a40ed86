# qcflow developer commands. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-under-load lint typecheck pytest bench browser postgres clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,root]'
	touch $(STAMP)

demo: $(STAMP)  ## the four QC post-processing workflows on synthetic data, with an HTML report
	$(BIN)/qcflow demo --workdir demo-output

browser:  ## install headless Chromium (Debian) for the report's browser tests, if missing
	@if command -v chromium >/dev/null 2>&1; then echo "chromium: $$(command -v chromium)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends chromium; \
	else echo "run as root: apt-get install chromium (browser tests are skipped without it)"; \
	  exit 1; fi

postgres:  ## install PostgreSQL (Debian) for the QCDB's PostgreSQL tests, if missing
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; \
	then echo "postgresql: $$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null || command -v initdb)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends postgresql; \
	else echo "run as root: apt-get install postgresql (PostgreSQL tests are skipped without it)"; \
	  exit 1; fi

test: lint typecheck pytest  ## lint, type-check and run the test suite

lint: $(STAMP)  ## ruff on everything
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)  ## mypy --strict on src/
	$(BIN)/mypy

# Tests run in 2 worker processes (pytest-xdist): much of a test's time is spent waiting for
# subprocesses, and on a busy machine two processes get twice the share of one.
PYTEST_WORKERS ?= 2
LOAD_LOOPS ?= 2

pytest: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

test-under-load: $(STAMP)  ## the test suite beside LOAD_LOOPS (2) busy loops: no test needs an idle machine
	$(BIN)/python tests/under_load.py --loops $(LOAD_LOOPS) -n $(PYTEST_WORKERS)

bench: $(STAMP)  ## run every benchmark under bench/ and print their figures (O2DPG=checkout adds its runner)
	@for b in bench/*.py; do echo "== $$b"; extra=""; \
	  if [ "$$b" = bench/runner.py ] && [ -n "$(O2DPG)" ]; then extra="--peer $(O2DPG)"; fi; \
	  $(BIN)/python $$b $$extra || exit 1; done

clean:  ## remove the virtual environment and generated outputs
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
