# sqe-geo — two commands: `make app` (serve the demo) and `make test` (lint + tests).
# Both create .venv with python3 (>= 3.11) and install what they need on the first run.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SQE_APP_ADDRESS ?= localhost
SQE_APP_PORT ?= 8501
LINTED := sqe_geo tests benchmarks app.py

WHEEL_VENV := .wheel-venv

.PHONY: app test lint format bench demo clean wheel-check min-deps

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sqe-geo needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[app]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-app

app: $(VENV)/.installed-app
	$(BIN)/streamlit run app.py --server.address $(SQE_APP_ADDRESS) --server.port $(SQE_APP_PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest
	$(MAKE) --no-print-directory wheel-check

# Build the wheel, install it (not editable) into a fresh venv, run the demo from another
# folder: the wheel must carry the indicator catalog and the demo.
wheel-check: $(VENV)/.installed-test
	rm -rf build dist $(WHEEL_VENV)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet dist/sqe_geo-*.whl
	cd "$$(mktemp -d)" && $(CURDIR)/$(WHEEL_VENV)/bin/python $(CURDIR)/tests/wheel_check.py

# The version floors of pyproject.toml are true: install exactly them into a fresh venv in a
# temporary folder and run the fast tests there (tests/min_deps.py; not part of `make test`).
min-deps:
	$(PYTHON) tests/min_deps.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/accessibility.py

# The demo is derived from the public Karlsruhe files (read in place, never copied).
SOURCES ?= ../shared/karlsruhe
demo: $(VENV)/.installed-app
	$(BIN)/python -m sqe_geo.demo build --sources $(SOURCES)

clean:
	rm -rf $(VENV) $(WHEEL_VENV) build dist .pytest_cache .ruff_cache test-artifacts
