# The README's two commands: `make run` and `make test`. Both say what they do.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install services lint bench clean help

help:
	@echo "make run    start the whole service on embedded defaults (SQLite, local broker, var/mail, var/outbox, the web app)"
	@echo "make test   install what is missing, start the test servers' prerequisites, run every test"
	@echo "make lint   ruff check, ruff format --check, mypy"
	@echo "make bench  run the benchmarks under bench/ (they print figures)"

$(STAMP): pyproject.toml
	@echo "==> creating the virtual environment in $(VENV) and installing the project"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@echo "==> upgrading the embedded database under var/"
	@$(BIN)/consultant db upgrade
	@echo "==> loading the bundled sample code data (all of it into an empty database; next to imported CMS data, its plain summaries only)"
	@$(BIN)/consultant codes load-sample
	@echo "==> demo account coder@localhost: try  echo 'Can 63057 be billed with 63056?' | consultant ask --from coder@localhost"
	@$(BIN)/consultant accounts create coder@localhost --name "Demo coder" >/dev/null 2>&1 || true
	@echo "==> demo reviewer reviewer@localhost for the web app (its password is printed once, when it is created)"
	@$(BIN)/consultant users ensure-demo
	@echo "==> the web app: http://$${CONSULTANT_WEB_HOST:-127.0.0.1}:$${CONSULTANT_WEB_PORT:-8000}/"
	@echo "==> starting the processes of the Procfile (Ctrl-C stops them)"
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile $$(grep -oE '^[a-z]+:' Procfile | tr -d ':' | grep -vx release | tr '\n' ' ')

services:
	@bash .ci/services

test: install services
	@echo "==> running the tests (SQLite and PostgreSQL; real Dovecot, Redis, SMTP sink)"
	@# Three test processes on two cores: most tests wait on servers and child processes.
	@$(BIN)/pytest -q -n 3 --dist worksteal

lint: install
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

bench: install services
	@for b in bench/*.py; do echo "==> $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
