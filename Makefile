# Vraagbaak: `make run` serves the demo, `make test` runs the whole suite.
# Both create .venv and install on first use, and are fast when nothing changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export FLASK_APP := app

.PHONY: run test install translations extract-messages migrate demo clean-db help

help:
	@echo "make run    – install, migrate, load demo data if empty, serve http://127.0.0.1:5000"
	@echo "make test   – install and run the whole test suite"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,nl]'
	touch $@

# The interface's catalogs (app/translations/<lang>/LC_MESSAGES/messages.po) compile to .mo files,
# which are build output (not in git): every `make` target that serves or tests compiles them first.
PO_FILES := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

translations: $(MO_FILES)

# After changing texts in templates or code: extract them and merge into the catalogs, then translate.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k Message --no-location --sort-output -o app/translations/messages.pot --project=Vraagbaak --version=0.1 .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

install: $(STAMP) translations

# A random SECRET_KEY for this checkout, written once; the app has no default secret.
instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print('VRAAGBAAK_ENV = \"development\"'); print(f'SECRET_KEY = \"{secrets.token_hex(32)}\"')" > $@

migrate: install instance/config.py
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty
	@test -d instance/index/whoosh || $(BIN)/flask kb reindex

# gunicorn as shipped (gunicorn.conf.py): each worker loads the models and opens the index before it
# takes a request, so the first search is as fast as the rest. `flask run --debug` still works for
# development; there the first request starts the warm-up and /api/v1/health says "starting" meanwhile.
run: demo
	@$(BIN)/flask demo sign-ins
	@echo "Serving on http://127.0.0.1:5000 once the models are loaded"
	$(BIN)/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:5000 'app:create_app()'

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here). Installing it needs
# root; without it the browser tests are skipped locally, but never in CI (CI=true makes them fail).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	-apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null

DOVECOT := /usr/sbin/dovecot
$(DOVECOT):
	-apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd > /dev/null

test: install $(CHROMIUM) $(DOVECOT)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-db:
	rm -f instance/vraagbaak.db instance/vraagbaak.db-wal instance/vraagbaak.db-shm
	rm -rf instance/index
