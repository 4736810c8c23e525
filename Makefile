# nndl: every target does its own set-up (a .venv built from settings.ini via setup.py).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SITE := docs/_build/html
DOCSRC := docs/_build/src

.PHONY: help setup browser export sync test test-all test-nbs data bench docs serve lab clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): settings.ini setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) ## create .venv with the package and everything for notebooks, tests and docs

browser: ## install Chromium for the site test where apt can (skipped elsewhere)
	@bash tests/install_browser.sh

export: setup ## export the nndl package from the notebooks (nbdev_export)
	$(BIN)/nbdev_export

sync: setup ## fail unless nndl/ is what the notebooks export and every notebook is clean
	@bash tests/check_sync.sh $(BIN)

test: setup browser ## all the tests: sync, every notebook re-run, the site built and opened in Chromium
	@bash tests/check_sync.sh $(BIN)
	$(MAKE) --no-print-directory docs
	$(BIN)/python -m pytest

test-all: ## everything `make test` runs, plus the long trainings (cells flagged `#| slow`): what CI runs
	NNDL_SLOW=1 $(MAKE) --no-print-directory test

test-nbs: setup ## re-run the notebooks only (NB=nbs/01_affine.ipynb for one; NNDL_SLOW=1 for slow cells)
	$(BIN)/python -m pytest --nbval-lax $(or $(NB),nbs)

data: ## CIFAR-10 into datasets/ (download, or CIFAR10_ARCHIVE=path for a local copy of the archive)
	bash datasets/get_cifar10.sh

bench: setup ## time the layers; fails if a speed target is missed (e.g. batchnorm's closed form)
	$(BIN)/python bench/bench_layers.py

docs: export ## export the library and build the site into docs/_build/html
	$(BIN)/python docs/prepare.py $(DOCSRC)
	$(BIN)/sphinx-build -q -W --keep-going -b html -c docs $(DOCSRC) $(SITE)
	@echo "Site built: open $(SITE)/index.html, or run 'make serve' and visit http://127.0.0.1:8000"

serve: ## serve the built site on http://127.0.0.1:8000
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory $(SITE)

lab: setup ## JupyterLab on the notebooks
	$(BIN)/jupyter lab --notebook-dir=nbs $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## remove the built site and caches (keeps .venv)
	rm -rf docs/_build .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
