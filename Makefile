# qcflow developer commands. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE   := $(VENV)/.base
STAMP  := $(VENV)/.installed
# JSROOT for `qcflow ui`: fetched pinned from npm (the package only, no Node dependencies),
# checked against its hash, unpacked into the package so the wheel carries it; never committed.
JSROOT_VERSION := 7.11.2
JSROOT_SHA256  := 1f238fe69332b2bd788b6f5e8cc1b2038b5759b0c3534306ad25762494661d70
JSROOT_DIR     := src/qcflow/ui/static/jsroot
JSROOT_STAMP   := $(JSROOT_DIR)/.version-$(JSROOT_VERSION)

.PHONY: demo test test-under-load lint typecheck pytest bench browser postgres jsroot wheel clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

# Two steps: the demo needs qcflow alone; the tests add their tools, ROOT (a 250 MB wheel, the
# ground truth for the ROOT files qcflow writes) and JSROOT (fetched with npm, for the UI).
$(BASE): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(BASE)

$(STAMP): $(BASE) $(JSROOT_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,root]'
	touch $(STAMP)

demo: $(BASE)  ## the four QC post-processing workflows on synthetic data, with an HTML report
	$(BIN)/qcflow demo --workdir demo-output

jsroot: $(JSROOT_STAMP)  ## fetch JSROOT (pinned, npm pack, hash-checked) into the ui package

$(JSROOT_STAMP):
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed once to fetch JSROOT (apt-get install npm)"; exit 1; }
	rm -rf $(JSROOT_DIR) $(JSROOT_DIR).tmp && mkdir -p $(JSROOT_DIR).tmp
	cd $(JSROOT_DIR).tmp && npm pack --silent jsroot@$(JSROOT_VERSION) >/dev/null
	echo "$(JSROOT_SHA256)  $(JSROOT_DIR).tmp/jsroot-$(JSROOT_VERSION).tgz" | sha256sum -c --quiet
	tar xzf $(JSROOT_DIR).tmp/jsroot-$(JSROOT_VERSION).tgz -C $(JSROOT_DIR).tmp
	mv $(JSROOT_DIR).tmp/package $(JSROOT_DIR) && rm -rf $(JSROOT_DIR).tmp
	touch $(JSROOT_STAMP)

wheel: $(STAMP)  ## build the wheel into dist/ (JSROOT included: installing it needs no Node)
	$(BIN)/python -m pip wheel --quiet --no-deps -w dist .

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
	rm -rf $(VENV) demo-output dist .pytest_cache .mypy_cache .ruff_cache $(JSROOT_DIR)
