# From Recurrence to Attention: every command a student, a self-study learner, an instructor or CI
# needs. `make lab` and `make test` each build the environment first, so a fresh clone needs
# nothing but Python 3.11 and make.

SHELL    := /bin/bash
PYTHON   ?= $(shell command -v python3.11 || command -v python3)
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
PORT     ?= 8888
BROWSER  ?= yes
# Which notebooks exist, and in what order, is declared in course.toml, not globbed here.
NB       ?=

# Containers and CI machines often run as root, which Jupyter refuses without --allow-root.
# BROWSER is a make variable here; exported, Python's webbrowser module would try to run it.
unexport BROWSER
# The deterministic environment course.toml declares (one BLAS thread, a fixed hash seed), exported to
# everything make starts, so notebooks print the same digits on every run.
DETERMINISTIC_ENV := $(shell $(PYTHON) -c 'import tomllib; print(" ".join(f"{k}={v}" for k, v in \
  tomllib.load(open("course.toml", "rb"))["environment"].items()))')
$(foreach setting,$(DETERMINISTIC_ENV),$(eval export $(setting)))

.DEFAULT_GOAL := help
.PHONY: help install lab test test-fast notebooks assignments site hub hub-clean bench-autograde bench-grade bench-scale bench-check fuzz-grade lock clean

help:
	@echo "make lab        set up (first time only) and open JupyterLab at the course root"
	@echo "                  PORT=8888 to choose the port, BROWSER=no on a server without a browser"
	@echo "make test       set up, then run every test and strict nbval on every lecture"
	@echo "make test-fast  the fast tier only (no kernels, nbgrader, browser or sandbox): about a minute"
	@echo "make notebooks  re-execute every notebook from its .py twin (NB=lectures/01_....py for one)"
	@echo "make assignments  rebuild the solution notebooks and regenerate the student versions with nbgrader"
	@echo "make site       render the executed lectures and the assignments to a static site in build/site/"
	@echo "make hub        (root, in a container/VM/course server) a JupyterHub for one instructor and"
	@echo "                  HUB_STUDENTS=3 students, each a local user; HUB_CREATE_USERS=1 to create them"
	@echo "                  (the default in CI and containers), HUB_PORT=8000, HUB_PREFIX=r2a-"
	@echo "make hub-clean  remove the users and the folder (build/hub) that make hub created"
	@echo "make bench-autograde  time each assignment's autograde against its 60 s budget"
	@echo "make bench-check  how long autograder check takes on each assignment (target 3 s)"
	@echo "make bench-scale  1,000 submissions: the grader's memory and time by class size, then on Dask"
	@echo "make bench-grade  the autograder against plain nbgrader and the floor, 40 submissions each (PROFILE=1: by step)"
	@echo "make fuzz-grade N=5000  fuzz the autograder with N mutated notebooks (N/100 graded as classes)"
	@echo "make lock       re-resolve requirements.in into the lock file requirements.txt"
	@echo "make clean      remove the environment and build files"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else \
	  "Python 3.11 is needed, but $(PYTHON) is Python " + sys.version.split()[0] + \
	  ". Install Python 3.11, or point make at it: make PYTHON=/path/to/python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

# Installs only when the lock or the package metadata changed since the last install.
$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# Build matplotlib's font cache now, not during the first lecture.
	$(BIN)/python -c "import matplotlib.font_manager"
	@touch $@

# The site's JavaScript, pinned in package.json/package-lock.json: lunr.js (the search runtime that
# `make site` copies into the site) and axe-core (the site tests' accessibility checks).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP) $(NODE_STAMP)

lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) \
	  $(if $(filter no false 0,$(BROWSER)),--no-browser,) $(if $(filter 0,$(shell id -u)),--allow-root,)

test: install
	$(BIN)/python -m pytest tests lectures --nbval --nbval-current-env --nbval-cell-timeout=300 \
	  --durations=5

# The tier to run while working: no kernels, no nbgrader runs, no browser, no sandbox (markers in
# pyproject.toml); about a minute on 2 cores (78 s on the course machine).
test-fast: install
	$(BIN)/python -m pytest tests -m "not slow and not browser and not root" -q

notebooks: install
	$(BIN)/python -m coursetools.notebooks build $(NB)

# Student versions are only ever made by nbgrader, from freshly executed solution notebooks: the
# autograder's release is the one path that does both (it re-executes a solution whose twin changed).
assignments: install
	$(BIN)/python -m autograder release

# The course as static pages (offline maths, embedded plots): open build/site/index.html.
site: install
	$(BIN)/python -m coursetools.site --out build/site

# The classroom on a JupyterHub (hub/, README "The course on a JupyterHub"): needs root, since every
# person is a local user. HUB_STUDENTS, HUB_PORT, HUB_PREFIX and HUB_CREATE_USERS are read by hub/.
hub: install
	$(BIN)/python -m hub start

hub-clean:
	$(BIN)/python -m hub clean

# Benchmarks, not tests. Each assignment's autograde against its 60 s budget:
bench-autograde: install
	$(BIN)/python -m tests.benchmarks.bench_autograde $(ASSIGNMENT)

# 40 generated submissions of each assignment graded by plain nbgrader, by the autograder and by the
# floor (the cells alone, one process); scores compared, ratios printed. PROFILE=1: where the time goes.
bench-grade: install
	$(BIN)/python -m tests.benchmarks.bench_grade $(if $(PROFILE),--profile) $(ASSIGNMENT)

# How long a learner waits for `python -m autograder check` on each assignment (target 3 s).
bench-check: install
	$(BIN)/python -m tests.benchmarks.bench_check $(ASSIGNMENT)

# A generated class of 1,000 graded here (the grader's memory against its progress, time against the
# class's size), then on a Dask LocalCluster, whose grades must be identical.
bench-scale: install
	$(BIN)/python -m tests.benchmarks.bench_scale $(ASSIGNMENT)

# Not a test either: a longer run of tests/autograder/test_fuzz.py's properties; prints examples,
# seconds and failures, and exits non-zero when one fails. SEED=1 for another sequence,
# CLASSES=K for another number of graded classes (default N/100).
fuzz-grade: install
	$(BIN)/python -m tests.helpers.fuzz_grade $(or $(N),1000) $(if $(CLASSES),--classes $(CLASSES)) $(if $(SEED),--seed $(SEED))

lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Full lock of the course environment: every package pinned exactly."; \
	  echo "# Generated by 'make lock' from requirements.in; edit requirements.in, not this file."; \
	  echo "# torch is written without its '+cpu' local label so the same line installs on every platform."; \
	  build/lock-venv/bin/python -m pip freeze --all --exclude pip --exclude wheel | sed 's/+cpu$$//'; \
	} > requirements.txt
	rm -rf build/lock-venv

clean:
	rm -rf $(VENV) build
