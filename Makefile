# Leviers — every target does its own set-up from a fresh clone.
# `make demo` runs the product on the bundled data; `make test` runs lint, types and tests.
# Neither needs ../shared: the tests read tests/fixtures; those marked `shared` (the larger files of
# ../shared/data) are skipped without it, and `make test-shared` runs only them, requiring it.

PYTHON   ?= $(shell tools/find-python.sh)
UV_VERSION := 0.13.9
TOOLS    := .tools
UV       := $(TOOLS)/bin/uv
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.leviers-installed
ASSETS   := src/leviers/web/static/vendor/.stamp

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: setup demo test test-shared lint typecheck pytest bench clean assets postgres postgres-stop

setup: $(STAMP) $(ASSETS)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The lock file pins every dependency; --frozen refuses to run if it is out of date. Installing the
# project builds its C record splitter (setup.py, needs a C compiler), as `pip install .` does.
# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set, every `leviers` command
# would otherwise recompile the libraries it imports (about 1.5 s per start).
$(STAMP): $(UV) pyproject.toml uv.lock setup.py src/leviers/decp/_native/jsonsplit.c
	$(UV) sync --frozen --compile-bytecode --all-extras --group dev --group bench --python $(PYTHON)
	$(BIN)/python -m compileall -q src > /dev/null
	touch $@

# Front-end assets come from npm at set-up time and are served by the application (no CDN).
$(ASSETS): package.json package-lock.json tools/vendor_assets.py $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python tools/vendor_assets.py
	touch $@

assets: $(ASSETS)

# `make demo PORT=8080` when 8000 is taken.
PORT ?= 8000
demo: setup
	$(BIN)/leviers serve --demo --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests tools bench
	$(BIN)/ruff format --check src tests tools bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest -n 2 --timeout=900

test: lint typecheck pytest

test-shared: setup
	$(BIN)/pytest -m shared --require-shared --timeout=900

# Hosted mode: a local PostgreSQL store in .postgres/ (Debian package postgresql), at this
# version's schema; prints the address to export as LEVIERS_POSTGRES (docs/hosted.md).
postgres: setup
	$(BIN)/leviers heberge base-locale --dossier .postgres

postgres-stop: $(STAMP)
	$(BIN)/leviers heberge base-locale --dossier .postgres --arreter

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) build src/leviers.egg-info node_modules src/leviers/web/static/vendor .pytest_cache .mypy_cache .ruff_cache
