# Two commands do everything on a fresh Debian machine with Python 3.11:
#   make lab    open the course in JupyterLab (notebooks/00-start-here.ipynb)
#   make test   run the test suite with no network but loopback
# Both install what they need first: Debian packages (scripts/system-deps.sh, as
# root) and a .venv with this package in editable mode.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HERMETIC := scripts/hermetic.sh
PORT ?= 8888
# `make test` leaves the long runs to `make fuzz` and `make soak`.
MARK ?= not slow and not soak
PYTEST_ARGS ?=

# system-deps must finish before the venv is made (it may install python3-venv).
.NOTPARALLEL:
.PHONY: help lab lite test fuzz soak bench diagrams venv deps system-deps clean
.DEFAULT_GOAL := help

help:
	@echo "make lab          JupyterLab on notebooks/ (PORT=$(PORT))"
	@echo "make test         test suite, hermetic (PYTEST_ARGS='-k ...' to narrow)"
	@echo "make lite         the course as a static JupyterLite site in _site/ (runs in the browser)"
	@echo "make fuzz         slow property tests with more hypothesis examples"
	@echo "make soak         load and leak tests"
	@echo "make bench        benchmarks (python -m bench)"
	@echo "make diagrams     regenerate docs/img/*.svg"
	@echo "make system-deps  Debian packages (installs them when run as root)"
	@echo "make venv         .venv with the test extras"
	@echo "make clean        remove .venv and caches"

# --- set-up -----------------------------------------------------------------

system-deps:
	@PYTHON="$(PYTHON)" scripts/system-deps.sh

$(PY):
	@test -n "$(PYTHON)" || { echo "make: no python3.11 or python3 on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# One stamp per extra (.stamp-test, .stamp-lab, .stamp-bench): pip runs again only
# when pyproject.toml changes. The stamps live in .venv, so deleting it resets them.
$(VENV)/.stamp-%: pyproject.toml | $(PY)
	$(PY) -m pip install --progress-bar off -e '.[$*]'
	@touch $@

venv deps: $(VENV)/.stamp-test

# --- the two commands -------------------------------------------------------

# pytest exits 5 when it collected nothing; here that is a failure, not a pass.
define pytest
$(HERMETIC) $(PY) -m pytest $(1) $(PYTEST_ARGS); rc=$$?; \
[ $$rc -ne 5 ] || echo "make: pytest collected no tests; failing" >&2; exit $$rc
endef

# The lite tests (tests/test_lite.py) drive the site `make lite` builds: build it first, while
# the registries are reachable (the suite itself runs with no network).
test: system-deps $(VENV)/.stamp-test lite
	@$(call pytest,-m "$(MARK)")

# The whole course in the browser (JupyterLite + Pyodide): a static site in _site/, built from
# the package registries only (scripts/build_lite.py; downloads cached in build/lite-cache/).
# Try it: python -m http.server -d _site 8000, then open http://127.0.0.1:8000/lab/index.html
lite: $(VENV)/.stamp-lite
	@PYTHON="$(PYTHON)" scripts/system-deps.sh npm
	$(PY) scripts/build_lite.py --output _site

# A random token in the printed URL, so only this user can open the server.
# Logging at WARN keeps that URL the last thing on screen; errors still show.
lab: $(VENV)/.stamp-lab
	@PYTHON="$(PYTHON)" scripts/system-deps.sh graphviz
	@token=$$($(PY) -c 'import secrets; print(secrets.token_hex(16))'); \
	page=/lab/tree/00-start-here.ipynb; \
	browser=--no-browser; [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] || browser=; \
	echo; echo "  Open in your browser:  http://127.0.0.1:$(PORT)$$page?token=$$token"; \
	echo "  (stop with Ctrl-C twice)"; echo; \
	JUPYTER_TOKEN=$$token exec $(VENV)/bin/jupyter lab $$browser --allow-root \
	  --ip=127.0.0.1 --port=$(PORT) --ServerApp.port_retries=0 \
	  --ServerApp.root_dir=notebooks --LabApp.default_url=$$page \
	  --ServerApp.log_level=WARN

# --- longer runs and generated files ----------------------------------------

fuzz: system-deps $(VENV)/.stamp-test
	@SMTPLEARN_FUZZ=1 $(call pytest,-m slow)

soak: system-deps $(VENV)/.stamp-test
	@$(call pytest,-m soak)

bench: system-deps $(VENV)/.stamp-bench
	$(HERMETIC) $(PY) -m bench

diagrams: $(VENV)/.stamp-lab
	@PYTHON="$(PYTHON)" scripts/system-deps.sh graphviz
	@mkdir -p docs/img
	$(PY) -m smtplearn diagram states --out docs/img/state-diagram.svg
	$(PY) -m smtplearn diagram sequence --out docs/img/sequence-diagram.svg

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist *.egg-info _site
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
