# sweeper: `make install`, `make test`, `make demo`, `make bench`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install test demo bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

test: install
	$(BIN)/python -m pytest -q -ra

demo: install
	$(BIN)/sweeper sweep configs/quickstart.yaml --dry-run
	$(BIN)/sweeper sweep configs/quickstart.yaml
	$(BIN)/sweeper sweeps

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .sweeper .pytest_cache
