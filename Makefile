# furusato-vc — the two README commands are `make demo` and `make test`.
# Both create a local virtualenv (.venv) and install the project from its own files.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lint typecheck contracts pytest test demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

contracts: setup
	$(BIN)/lint-imports

pytest: setup
	$(BIN)/pytest -q

# README: the one test command (lint + mypy strict + import contracts + pytest)
test: lint typecheck contracts pytest

# README: the end-to-end demo; artifacts go to demo-out/
demo: setup
	$(BIN)/python examples/demo.py --out demo-out

# Benchmarks print ratios measured in one run (ours vs. baselines on this machine).
bench: setup
	$(BIN)/python benchmarks/bench_sdjwt.py

clean:
	rm -rf $(VENV) demo-out .mypy_cache .ruff_cache .pytest_cache .hypothesis
