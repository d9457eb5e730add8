# The two commands: `make run` (install and start on the example scenarios), `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-dev lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[app]"

install-dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"

run: install
	$(BIN)/streamlit run app/main.py --server.headless true --server.port 8501 --browser.gatherUsageStats false

test: install-dev
	$(BIN)/python -m pytest -n 2 -q

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/supportsim

bench: install-dev
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
