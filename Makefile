# Resilient Agents: the two commands a learner needs are `make lab` and `make test`.
# Everything else here is for authors and maintainers.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
PYTEST_ARGS ?=
# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
LAB_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.DEFAULT_GOAL := help
.PHONY: help setup lab test test-latest demo lint format notebooks lock doctor clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The environment is rebuilt when pyproject.toml or constraints.txt change.
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: '$(PYTHON)' not found. Install Python 3.11+ and run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)"; exit 1; }
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"error: Python 3.11+ is needed, but $(PYTHON) is {v.major}.{v.minor}. Install a newer Python and run: make PYTHON=python3.11 $(MAKECMDGOALS)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the course (done for you by lab and test)

lab: setup ## set up, check the environment, and open the course in JupyterLab at notebook 00
	@$(BIN)/python -m course_lib doctor --quiet
	$(BIN)/jupyter lab --port=$(PORT) $(LAB_ROOT) notebooks/00_start_here.ipynb

test: setup ## set up and run every test: unit, property, concurrency, and every notebook under nbval
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-latest: ## the whole suite against the newest releases pyproject's ranges allow (early warning of upstream breaks)
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade -e '.[dev]'
	.venv-latest/bin/python -m pytest $(PYTEST_ARGS)

demo: setup ## run the demo agent on one scenario from the command line
	$(BIN)/python -m course_lib diagnose --scenario crashloop-app-error --agent production --chaos flaky --seed 1

doctor: setup ## check this environment (Python, packages, versions)
	$(BIN)/python -m course_lib doctor --dev

lint: setup ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check course_lib tests benchmarks

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format course_lib tests benchmarks

notebooks: setup ## re-execute every notebook in place (authors: then review and commit the outputs)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb

lock: ## refresh constraints.txt from a clean resolve of pyproject.toml's ranges
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt
	rm -rf .lock-venv
	@echo "constraints.txt refreshed: run 'make test', then commit it."

clean: ## remove the environment and caches
	rm -rf $(VENV) .venv-latest .lock-venv build *.egg-info .pytest_cache .ruff_cache .hypothesis
