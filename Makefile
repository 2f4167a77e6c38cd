# sweeper: `make install`, `make test`, `make demo`, `make bench`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install test demo bench clean slurm

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,examples]'
	touch $@

test: install
	$(BIN)/python -m pytest -q -ra

# A local single-node Slurm cluster (as root; Debian's slurm-wlm) for the tests that submit sbatch jobs.
slurm:
	bash .ci/slurm.sh

# The quickstart: a random search over the real MNIST CNN (programs/mnist_cnn.py), about a
# minute and a half on 2 CPU cores (scikit-learn's digits stand in when ./data has no MNIST).
# The agent runs `python programs/mnist_cnn.py ...` from here, so the venv's bin/ goes first on
# PATH (its python has torch). The agent exits 0 when the sweep's run_cap is reached.
DEMO_RUNS ?= 10
.PHONY: demo demo-deps
demo: demo-deps
	@set -e; export PATH="$(abspath $(BIN)):$$PATH"; \
	ID=$$(sweeper sweep configs/quickstart.yaml | tail -1); [ -n "$$ID" ]; \
	echo "== sweep $$ID: $(DEMO_RUNS) runs of programs/mnist_cnn.py"; \
	sweeper agent $$ID --count $(DEMO_RUNS); \
	echo "== sweeper status $$ID"; sweeper status $$ID; \
	echo "== sweeper best $$ID"; sweeper best $$ID; \
	if sweeper report --help >/dev/null 2>&1; then \
	  mkdir -p .sweeper; sweeper report $$ID -o .sweeper/quickstart-$$ID.html; \
	fi

# What the example programs need: torch pinned to 2.13.0 (pip then takes the CPU wheel, not GBs
# of CUDA packages), installed only when no torch imports; scikit-learn (the digits fallback).
demo-deps: install
	@if $(BIN)/python -c "import torch" >/dev/null 2>&1; then \
	  echo "torch $$($(BIN)/python -c 'import torch; print(torch.__version__)') is installed"; \
	  $(BIN)/pip install -q 'scikit-learn>=1.3'; \
	else \
	  $(BIN)/pip install -q torch==2.13.0 && $(BIN)/pip install -q -e '.[examples]'; \
	fi

# Quick benchmarks: `make bench`; all of them, peers included (about an hour): `make bench ALL=--all`.
bench: install bench-peers
	$(BIN)/python benchmarks/run_all.py $(ALL)

# The peers compared against, each in a virtualenv of its own (W&B's sweeps needs numpy<2).
PEERS := benchmarks/.venvs
.PHONY: bench-peers
bench-peers: $(PEERS)/optuna/.installed $(PEERS)/wandb/.installed $(PEERS)/optuna-dashboard/.installed
$(PEERS)/optuna/.installed:
	$(PYTHON) -m venv $(PEERS)/optuna
	$(PEERS)/optuna/bin/pip install -q optuna torch==2.13.0 scipy greenlet
	touch $@
# The dashboard's peer (benchmarks/ui_scale.py): optuna-dashboard, without torch.
$(PEERS)/optuna-dashboard/.installed:
	$(PYTHON) -m venv $(PEERS)/optuna-dashboard
	$(PEERS)/optuna-dashboard/bin/pip install -q optuna optuna-dashboard
	touch $@
$(PEERS)/wandb/.installed:
	$(PYTHON) -m venv $(PEERS)/wandb
	$(PEERS)/wandb/bin/pip install -q sweeps 'numpy<2'
	touch $@

clean:
	rm -rf $(VENV) .sweeper .pytest_cache
