# The two set-up commands of the README: `make demo` (the main job) and `make test` (the suite).
# Each creates the virtual environment it needs on first use.
VENV   := .venv
PYTHON := $(VENV)/bin/python
DATA   ?= $(or $(CHAINRULE_DATA),$(abspath ../shared/data))

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	CHAINRULE_DATA=$(DATA) $(VENV)/bin/chainrule train lenet5 --variant classic --dataset mnist --out runs/lenet5-classic

test: $(VENV)/.installed
	CHAINRULE_DATA=$(DATA) $(PYTHON) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(VENV)/.installed
	$(PYTHON) benchmarks/bench_core.py

clean:
	rm -rf $(VENV) runs
