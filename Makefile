# gongshu: two commands do all the set-up on a fresh machine.
#   make demo   creates .venv, installs, runs the pipeline on the sample departments
#   make test   creates .venv, installs the dev extras, runs the whole suite
#   make serve  runs it as a service: Prefect server + UI, the deployments, a worker, the sharing API
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
PIP_QUIET := --quiet --disable-pip-version-check
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip on some machines warns about missing local index folders; keep real errors, drop that noise
PIP_FILTER := { grep -v "^WARNING: Location" || true; }

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: demo test lint venv clean samples bench serve

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_QUIET) -e '.[dev]' 2>&1 | $(PIP_FILTER)
	$(BIN)/python -c "import gongshu, flows, prefect, great_expectations"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/gongshu demo

# Ctrl-C or SIGTERM stops it all; SERVE_ARGS e.g. "--port 4300 --api-port 8700 --paused" (docs/runbook.md)
serve: $(STAMP)
	$(BIN)/gongshu serve $(SERVE_ARGS)

# the suite on every core (pytest-xdist): most of its time is spent waiting on subprocesses, Prefect
# servers and databases, so two workers on two cores cut its wall time by half or more (68 -> 30 min
# on a machine shared with other test runs); worksteal moves tests from a worker still busy to one
# that is done. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --maxprocesses=4 --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check gongshu flows tasks tests samples bench
	$(BIN)/ruff format --check gongshu flows tasks tests samples bench
	$(BIN)/mypy

samples: $(STAMP)
	$(BIN)/python samples/generate.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf var .pytest_cache
