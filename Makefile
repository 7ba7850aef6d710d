# Klynge: the two commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test check bench install browser system-deps messages worker clean

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

test: install messages system-deps browser
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/klynge
	$(BIN)/python manage.py makemigrations --check --dry-run -v 1

bench: install messages
	$(BIN)/python bench/run.py
	$(BIN)/python bench/meetings.py

clean:
	rm -rf $(VENV) data
