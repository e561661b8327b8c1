# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8000
# extras for `make run`, e.g. EXTRAS=postgres (with KOMMODORE_DATABASE_URL) or EXTRAS=postgres,redis
EXTRAS ?=
comma  := ,
RUN_STAMP := $(VENV)/.run-stamp-$(subst $(comma),-,$(or $(EXTRAS),core))

.PHONY: install run test lint typecheck unit bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# what serving the demo needs, nothing more: the core package (SQLite, uvicorn) and $(EXTRAS)
$(RUN_STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.$(if $(EXTRAS),[$(EXTRAS)])'
	touch $(RUN_STAMP)

## Set up, create the demo account (once), print a token and a curl line, and serve on :$(PORT).
run: $(RUN_STAMP)
	$(BIN)/kommodore demo --port $(PORT)
	@echo "Ctrl-C stops the server"
	$(BIN)/kommodore serve --port $(PORT)

## Set up and pass every check: lint, types, and the tests on SQLite and PostgreSQL.
test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) kommodore-data .pytest_cache .mypy_cache .ruff_cache
