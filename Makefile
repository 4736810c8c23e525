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

# The training notebooks re-run without CIFAR-10 (NNDL_DATA is an empty folder, so they train on the digits),
# slow cells included: the offline tier, run by CI after test-all. Add a notebook here when it trains.
OFFLINE_NBS := nbs/12_fc_experiments.ipynb nbs/16_cnn.ipynb
.PHONY: test-offline
test-offline: setup ## re-run the training notebooks offline: CIFAR-10 hidden, digits thresholds, slow cells included
	@empty=$$(mktemp -d); trap 'rm -rf "$$empty"' EXIT; \
	NNDL_DATA=$$empty NNDL_SLOW=1 $(BIN)/python -m pytest $(OFFLINE_NBS)

data: ## CIFAR-10 into datasets/ or NNDL_DATA (download; or CIFAR10_ARCHIVE=path [CIFAR10_MD5=md5] for a local copy)
	bash datasets/get_cifar10.sh

# PyTorch is for the benchmark only (nndl never imports it): installed once, behind its own stamp.
TORCH_STAMP := $(VENV)/.torch-installed
$(TORCH_STAMP): | $(STAMP)
	$(BIN)/pip install torch==2.13.0
	touch $(TORCH_STAMP)

bench: setup $(TORCH_STAMP) ## the benchmark table (training step vs PyTorch and the BLAS floor, an epoch, layers); fails if a target is missed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

docs: export ## export the library and build the site into docs/_build/html
	$(BIN)/python docs/prepare.py $(DOCSRC)
	$(BIN)/sphinx-build -q -W --keep-going -b html -c docs $(DOCSRC) $(SITE)
	@echo "Site built: open $(SITE)/index.html, or run 'make serve' and visit http://127.0.0.1:8000"

serve: ## serve the built site on http://127.0.0.1:8000
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory $(SITE)

# Publishing: the site to the gh-pages branch of a git remote, the package as an sdist and a wheel.
.PHONY: publish dist
PUBLISH_REMOTE ?= origin
DIST ?= dist

# A scratch repository does the commit (the checkout's branches are left alone); gh-pages holds one
# commit, the current site, replaced at each publish. Sphinx's .doctrees (paths of this machine) stay out.
publish: docs ## push the site to the gh-pages branch of origin (PUBLISH_REMOTE=another remote, a URL or a path)
	@if url=$$(git remote get-url '$(PUBLISH_REMOTE)' 2>/dev/null); then :; \
	elif [ -e '$(PUBLISH_REMOTE)' ]; then url=$$(realpath -- '$(PUBLISH_REMOTE)'); \
	elif [[ '$(PUBLISH_REMOTE)' == *:* ]]; then url='$(PUBLISH_REMOTE)'; \
	else echo "make publish: '$(PUBLISH_REMOTE)' is not a git remote, a URL or a path: set PUBLISH_REMOTE" >&2; exit 1; fi; \
	set -e; stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	cp -r $(SITE) "$$stage/site"; rm -rf "$$stage/site/.doctrees" "$$stage/site"/.buildinfo*; \
	msg="Site built from nndl $$(git describe --always --dirty)"; \
	export GIT_COMMITTER_NAME="$${GIT_COMMITTER_NAME:-$$(git config user.name || echo nndl)}"; \
	export GIT_COMMITTER_EMAIL="$${GIT_COMMITTER_EMAIL:-$$(git config user.email || echo nndl@localhost)}"; \
	git init -q "$$stage/repo"; cd "$$stage/repo"; \
	$(CURDIR)/$(BIN)/ghp-import --no-jekyll --no-history --push --branch gh-pages --remote "$$url" --message "$$msg" "$$stage/site"; \
	echo "Published to the gh-pages branch of $$url"

# Built with the .venv's setuptools (quick, offline). A stale nndl.egg-info would add its old file list
# to the sdist's, which must hold what MANIFEST.in says: it goes first.
dist: export ## build an sdist and a wheel of the package into dist/ (DIST=another folder) with python -m build
	rm -rf nndl.egg-info $(DIST)/nndl-*.tar.gz $(DIST)/nndl-*.whl
	$(BIN)/python -m build --no-isolation --outdir $(DIST) .

lab: setup ## JupyterLab on the notebooks
	$(BIN)/jupyter lab --notebook-dir=nbs $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## remove the built site and caches (keeps .venv)
	rm -rf docs/_build .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

# The student edition (docs/instructors.md): the notebooks with the code of every exported public function
# taken out, as a project of its own in student/ (git-ignored) that exports the student's nndl and grades it.
.PHONY: student
student: setup ## write the student edition into student/: stubs to write, every check kept (docs/instructors.md)
	$(BIN)/python tools/student_edition.py student
	$(MAKE) --no-print-directory -C student export VENV=$(abspath $(VENV))
