# Everyday commands. `make demo` and `make test` are the README's two set-up commands:
# each creates .venv on first use (CPU torch first, then the package with its dev extras).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: venv demo test check-sync test-nbs test-packaging export clean-nbs bench rd human prior docs lab browser-deps

venv: $(VENV)/.installed
$(VENV)/.installed: setup.py settings.ini
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

## Train a tokenizer on the embedded G1 sample (no arguments needed).
demo: venv
	$(PY) scripts/train_vqvae.py

## Everything CI checks: notebooks clean and in sync with the library, every notebook's tests,
## the packaging test (wheel into a clean venv). Ends with "N passed, N failed".
test: venv browser-deps
	$(PY) scripts/run_tests.py

## Library and notebooks agree, notebooks are clean (checked in a scratch copy; touches nothing).
check-sync: venv
	$(PY) scripts/check_sync.py

## Export the library from the notebooks and strip notebook outputs/metadata (run before commit).
export: venv
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(PY) scripts/make_readme.py

## Rate-distortion benchmark (long: trains rd_112, rd_225, rd_450 and rd_900 on 11 G1 clips, one after the other):
## held-out MPJPE of each recipe against the subsample and DCT codecs at its rate, the codec curve, the target
## (half the best codec's MPJPE; rd_112 <= 15 mm). Tables on stdout; runs/rd/rd.json, runs/rd/rate_distortion.png
## and the README's figure nbs/images/rate_distortion.png. RD_ARGS adds options: `make rd RD_ARGS="--jobs 2"`
## (two trainings side by side, one thread each), `make rd RD_ARGS=--reuse` (evaluate finished runs in runs/rd).
RD_ARGS ?=
rd: venv
	$(PY) scripts/rd_bench.py --figure nbs/images/rate_distortion.png $(RD_ARGS)

## Human-motion benchmark (long: trains human_quick on CMU 01_01, the bvhtools 1.6.0 LAFAN1-skeleton test.bvh fetched
## from PyPI at run time, and the CMU clip as SMPL-style PKL): held-out MPJPE, PA-MPJPE, acceleration error and foot
## skating against both codecs at the same rate. HUMAN_ARGS adds options, e.g. "--reuse --g1-runs runs/rd/rd_112".
human: venv
	$(PY) scripts/human_bench.py $(HUMAN_ARGS)

## Token prior on a trained G1 tokenizer (TOKENIZER=run dir, required): held-out bits/s, the generation targets,
## and the README's continuation figure.
prior: venv
	test -n "$(TOKENIZER)" || (echo "make prior TOKENIZER=RUN_DIR (a tokenizer trained with val_clips = the held-out clips)"; exit 2)
	$(PY) scripts/prior_heldout.py --tokenizer $(TOKENIZER) --out runs/prior_g1 --figure nbs/images/continuation.png

## Documentation site into _docs/ (MkDocs + Material over nbdev's processed, executed notebooks; no Quarto,
## no network). Notebooks run in parallel and are cached in _docs_cache/ (`--force` re-runs them all).
docs: venv
	$(PY) scripts/build_docs.py

## What tests/test_docs_site.py needs besides the venv: Debian's Chromium and Python Playwright (idempotent).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps: venv
	test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)
	$(PY) -c "import playwright.sync_api, jupyterlab, ipywidgets, anywidget, plotly" 2>/dev/null || $(PY) -m pip install -q playwright jupyterlab ipywidgets anywidget plotly

## Performance benchmark (table + runs/bench.json): training step vs an eager-fp32 reference, inference, data loading.
## glibc's allocator variables are set here because they must be set before Python starts.
bench: venv
	MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 $(PY) scripts/bench.py --json runs/bench.json
