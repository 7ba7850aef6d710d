# Klynge: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test check bench bench-speed install browser office a11y-tools system-deps messages worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Compiled translations are build output: made from locale/*.po on every run.
messages: install system-deps
	cd src/klynge && ../../$(BIN)/django-admin compilemessages --ignore '.venv' -v 0

# Pango and fonts for WeasyPrint's PDFs (annual accounts, fee reports).
system-deps:
	@ldconfig -p | grep -q libpangoft2-1.0 || { apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }

# Debian's Chromium for the end-to-end tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# LibreOffice (headless) for the tests that open our CSV, XLSX and Word files the way
# people do (tests/core/test_office_clients.py).
office:
	@command -v soffice >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui libreoffice-writer-nogui >/dev/null; }

# The accessibility checks' tools (tests/e2e/test_accessibility.py), pinned, from the npm
# registry into data/a11y/: axe-core, injected into the pages by the browser tests, and
# the W3C Nu HTML checker (vnu.jar, run on Java). --ignore-scripts: vnu-jar's install
# script would fetch a Java runtime; Debian's is used.
A11Y := data/a11y
AXE_CORE_VERSION := 4.14.1
VNU_JAR_VERSION := 26.9.27
$(A11Y)/.installed-$(AXE_CORE_VERSION)-$(VNU_JAR_VERSION):
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; }
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
	@mkdir -p $(A11Y)
	npm install --prefix $(A11Y) --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --silent \
	  axe-core@$(AXE_CORE_VERSION) vnu-jar@$(VNU_JAR_VERSION)
	@touch $@

a11y-tools: $(A11Y)/.installed-$(AXE_CORE_VERSION)-$(VNU_JAR_VERSION)

# The demo turns debug on (with it the demo secret key and static files from the apps);
# everything else runs production-safe by default. `make demo PORT=8123` serves on that
# port, and the links in the demo's e-mails point there (KLYNGE_SITE_URL). TODAY=YYYY-MM-DD
# places a newly generated demo around another day (default: the real date).
demo: export KLYNGE_DEBUG := 1
demo: export KLYNGE_SITE_URL := http://127.0.0.1:$(PORT)
demo: install messages system-deps
	@mkdir -p data
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/python manage.py generate_dataset --scale denmark --seed 1 --if-empty $(if $(TODAY),--today $(TODAY))
	$(BIN)/python manage.py demo_logins
	@echo "A task worker runs beside the server (mail is written to data/mail/)."
	@echo "Klynge runs at $(KLYNGE_SITE_URL)/"
	@$(BIN)/python manage.py db_worker --no-startup-delay >data/worker.log 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(BIN)/python manage.py db_worker

test: install messages system-deps browser office a11y-tools
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/klynge
	$(BIN)/python manage.py makemigrations --check --dry-run -v 1

bench: install messages
	$(BIN)/python bench/run.py
	$(BIN)/python bench/meetings.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/speed.py

# The speed ratios of issue 16.7: import against COPY, pages against a bare response,
# England against Denmark (bench/speed.py).
bench-speed: install messages
	$(BIN)/python bench/speed.py

# 50 members and coordinators on the main pages for a minute (locust; bench/load.py).
bench-load: install messages
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) data
