# relaybox — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
PYTEST_ARGS ?=

.PHONY: install install-dev run test lint format bench bench-smpp clean

$(RUNTIME_STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.lock
	$(BIN)/pip install -q -r requirements-dev.lock
	@touch $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

## Set up, migrate the embedded SQLite database, create the demo account, serve on :8080.
run: install
	$(BIN)/relaybox serve

## Install everything and run the whole suite (PostgreSQL too when RELAYBOX_TEST_POSTGRES_URL is set).
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

## Benchmarks (docs/benchmarks.md); PostgreSQL too when RELAYBOX_TEST_POSTGRES_URL is set. Needs wrk.
bench: install-dev
	$(BIN)/python -m bench.accept
	$(BIN)/python -m bench.e2e
	$(BIN)/python -m bench.crash_e2e --messages 10000

## relaybox vs Jasmin 0.11.0 over SMPP, end to end (needs RabbitMQ and Redis; ~6 min).
bench-smpp: install-dev
	$(BIN)/python -m bench.smpp_e2e $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
