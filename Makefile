# Two commands on a fresh machine: `make demo` (the main job) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_DIR := tools/cypher_lint
LINT_STAMP := $(LINT_DIR)/node_modules/.installed

.PHONY: demo test install lint-deps clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the local CPU wheel, not the registry's CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(LINT_STAMP): $(LINT_DIR)/package.json
	cd $(LINT_DIR) && npm install --silent --no-audit --no-fund
	touch $(LINT_STAMP)

install: $(STAMP) $(LINT_STAMP)

demo: $(STAMP)
	$(BIN)/hmlm demo

test: $(STAMP) $(LINT_STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(LINT_DIR)/node_modules
