# The two commands a fresh machine needs: `make run` starts the lab, `make test`
# runs the format check, the linter and the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test clean

run: $(VENV)/.installed
	$(BIN)/actlab serve

test: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pytest

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The tests also run the PyTorch code that the playground exports and the
# monitor (the torch extra, the CPU wheel of torch 2.13.0), the store on
# PostgreSQL (postgres) and sweeps on a Dask cluster (cluster).
$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev,torch,postgres,cluster]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) build src/*.egg-info
