# The two commands: `make demo` and `make test`. Each builds .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A CPU build of torch lies on this machine's disk; take it when it is there so that
# stable-baselines3 does not pull a multi-GB CUDA build. Elsewhere torch stays unpinned.
LOCAL_TORCH ?= torch==2.13.0

.PHONY: kernels demo test test-all lint bench clean envs-json accuracy-data

$(BIN)/archgym: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	($(BIN)/pip install --quiet --no-deps --no-index "$(LOCAL_TORCH)" 2>/dev/null \
		&& $(BIN)/pip install --quiet "$(LOCAL_TORCH)") \
		|| echo "no local CPU torch wheel: torch comes from the package index"
	$(BIN)/pip install --quiet -e ".[all,dev]"
	touch $@

# The DRAM controller kernel compiled ahead of time for its current source (seconds, once):
# `archgym eval` on DRAM-v0 then imports no numba. Without it numba compiles on first use.
kernels: $(BIN)/archgym
	$(BIN)/python -m simulators.dram.compiled || echo "no ahead-of-time DRAM kernel: numba's JIT serves"

demo: kernels
	$(BIN)/archgym demo

# pytest exits 5 when it collects no test: say so and pass; any other failure fails.
test: kernels
	$(BIN)/python -m pytest -q; rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-all: kernels
	$(BIN)/python -m pytest -q -m "slow or not slow"

lint: $(BIN)/archgym
	$(BIN)/ruff check .

# ZigZag, the accelerator benchmark's baseline, lives in its own venv: it is no dependency.
.venv-zigzag/bin/python:
	$(PYTHON) -m venv .venv-zigzag
	.venv-zigzag/bin/pip install --quiet zigzag-dse six || echo "zigzag-dse did not install"

# SCALE-Sim 3.0.0, the systolic benchmark's reference, likewise (it needs numpy<2.3).
.venv-scalesim/bin/python:
	$(PYTHON) -m venv .venv-scalesim
	.venv-scalesim/bin/pip install --quiet "scalesim==3.0.0" "numpy<2.3" \
		|| echo "scalesim did not install"

bench: kernels .venv-zigzag/bin/python .venv-scalesim/bin/python
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# `archgym envs` lists from this file; rewrite it when an environment's space or metrics change.
envs-json: $(BIN)/archgym
	$(BIN)/python -c "from archgym_env.registry import write_descriptions; write_descriptions()"

# Ramulator 1, bench_ramulator's reference, built from its source in build/ramulator
# (CMU-SAFARI/ramulator's src/, Makefile and configs/ placed there; it is no dependency).
build/ramulator/ramulator:
	@test -d build/ramulator/src || { echo "no Ramulator source in build/ramulator"; exit 1; }
	$(MAKE) -C build/ramulator CXX=g++

# The shipped accuracy data, rebuilt from the shared reference files (see README).
SHARED ?= ../shared/data
accuracy-data: $(BIN)/archgym
	$(BIN)/python -m simulators.accuracy.table $(SHARED)/nb201_acc.csv
	$(BIN)/python -m cost_models.accuracy_surrogate $(SHARED)/ofa_mbv3_dynast.csv

clean:
	rm -rf $(VENV) .venv-zigzag .venv-scalesim results simulators/dram/_controller_*
