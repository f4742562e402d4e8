# omc-vc: `make demo` and `make test` are all a fresh clone needs (Python >= 3.11 on the PATH).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup test lint typecheck demo bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check omc_vc cli tests
	$(VENV)/bin/mypy

demo: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash demo/demo.sh

bench: setup
	$(PY) bench/run.py

SECONDS ?= 60
fuzz: setup
	$(PY) -m pip install --quiet atheris
	$(PY) tests/fuzz/fuzz_verify.py -max_total_time=$(SECONDS)

clean:
	rm -rf $(VENV) build dist *.egg-info demo-out .pytest_cache .mypy_cache .ruff_cache
