# The two set-up commands of the README: `make demo` (the main job) and `make test` (the suite).
# Each creates the virtual environment it needs on first use.
VENV   := .venv
PYTHON := $(VENV)/bin/python
DATA   ?= $(or $(CHAINRULE_DATA),$(abspath ../shared/data))
DEMO_RUN := runs/lenet5-classic

.PHONY: demo test lint bench clean

$(PYTHON):
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip

# the demo needs only the runtime dependencies; the tests also need the test extra (torch, ...)
$(VENV)/.installed-runtime: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet -e '.[test]'
	touch $@

# a demo run already in runs/ (stopped or finished) is continued: --resume
demo: $(VENV)/.installed-runtime
	CHAINRULE_DATA=$(DATA) $(VENV)/bin/chainrule train lenet5 --variant classic --dataset mnist \
		--out $(DEMO_RUN) $(if $(wildcard $(DEMO_RUN)/checkpoints/last.ckpt),--resume)

test: $(VENV)/.installed
	CHAINRULE_DATA=$(DATA) $(PYTHON) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(VENV)/.installed
	$(PYTHON) benchmarks/bench_core.py

clean:
	rm -rf $(VENV) runs
