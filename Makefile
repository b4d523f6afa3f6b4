# The two commands of the README: `make up` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint up bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The pages' front-end (govuk-frontend and nhsuk-frontend, npm): installed when npm is there; the
# pages fall back to a plain stylesheet without it, so `make test` works without Node.js.
NPM := $(shell command -v npm 2>/dev/null)

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund --silent
	touch $@

install: $(BIN)/.installed $(if $(NPM),node_modules/.installed)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

up: install
	$(BIN)/ukid up $(UP_ARGS)

bench: install
	$(BIN)/python -m bench.schema_validation
	$(BIN)/python -m bench.federation_resolve
	$(BIN)/python -m bench.registry
	$(BIN)/python -m bench.idp
	$(BIN)/python -m bench.idp_signin
	$(BIN)/python -m bench.rp_callback
	$(BIN)/python -m bench.rp_login
	$(BIN)/python -m bench.check_rp

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
