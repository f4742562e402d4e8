# omc-vc: `make demo` and `make test` are all a fresh clone needs (Python >= 3.11 on the PATH).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup system-deps bench-deps test lint typecheck demo bench fuzz clean i18n

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

JS_STAMP := tests/interop/js/node_modules/.installed-stamp

# The independent JavaScript implementation used by the interop tests (needs node + npm).
$(JS_STAMP): tests/interop/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/interop/js --ignore-scripts --no-audit --no-fund --loglevel=error && touch $(JS_STAMP); \
	else echo "npm not found: the JavaScript interop tests will be skipped"; fi

WEB_JS_STAMP := tests/web/js/node_modules/.installed-stamp

# axe-core for the accessibility tests of the verifier page (injected into headless Chromium; needs npm).
$(WEB_JS_STAMP): tests/web/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/web/js --ignore-scripts --no-audit --no-fund --loglevel=error && touch $(WEB_JS_STAMP); \
	else echo "npm not found: the accessibility tests of the page will be skipped"; fi

# Headless Chromium for the browser tests (Debian package; needs root, as on CI and the dev machines).
# chromium for the browser tests; wrk for the test of the service benchmark's wrk script; poppler-utils
# (pdftotext, pdftoppm, pdfinfo) to read the learner's PDF certificate back; the PostgreSQL server for the
# shared store's tests (a throwaway cluster: tests/pgcluster.py). Each entry: command:package.
system-deps:
	@missing=""; for pair in chromium:chromium wrk:wrk pdftotext:poppler-utils pg_ctlcluster:postgresql; do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || echo "could not install$$missing: the tests that need them will be skipped"; fi

setup: $(STAMP)

test: setup $(JS_STAMP) $(WEB_JS_STAMP) system-deps
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check omc_vc cli
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict cli

# Extract our messages (Babel), merge them into the French catalog and compile it (docs/adr/0017)
i18n: setup
	$(PY) tools/i18n.py update

demo: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash demo/demo.sh

# wrk (C HTTP load generator, Debian package) drives the service figure; bench/loadgen.py stands in without it
bench-deps:
	@if ! command -v wrk >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	  || echo "could not install wrk: the service figure uses bench/loadgen.py"; fi
	@if ! command -v pg_ctlcluster >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || echo "could not install postgresql: the store figures are not measured"; fi

bench: setup bench-deps
	$(PY) bench/run.py

SECONDS ?= 60
fuzz: setup
	$(PY) -m pip install --quiet atheris
	$(PY) tests/fuzz/fuzz_verify.py -max_total_time=$(SECONDS)

clean:
	rm -rf $(VENV) build dist *.egg-info demo-out .pytest_cache .mypy_cache .ruff_cache
