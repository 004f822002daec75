# Mwalimu: `make run` (install, ingest the corpus if needed, serve on 127.0.0.1:7860) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install install-dev system-deps system-deps-dev run test bench lint

# Debian packages: tesseract for scanned PDFs; for the tests also chromium, fonts and PostgreSQL. Installed when
# run as root (or with password-less sudo); otherwise the command stops and prints the exact apt-get line.
system-deps:
	bash scripts/system-deps.sh run
system-deps-dev:
	bash scripts/system-deps.sh test

install: system-deps $(VENV)/.installed
install-dev: system-deps-dev $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(VENV)/.installed $@

# Ingestion is incremental: on an unchanged corpus it finishes in about a second and loads no model.
run: install
	$(PY) ingest.py || echo "Some files could not be ingested (see above); serving the rest."
	$(PY) app.py --host $(HOST) --port $(PORT)

test: install-dev
	$(VENV)/bin/ruff check tutor ingest.py app.py tests bench
	$(PY) -m pytest

bench: install-dev
	$(PY) -m bench

lint: install-dev
	$(VENV)/bin/ruff check tutor ingest.py app.py tests bench
