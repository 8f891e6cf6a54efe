# Two commands matter: `make demo` (set up + run everything on demo data) and `make test` (set up + lint + tests).
SHELL := /bin/bash
VENV := .venv
TOOLS := .tools
PY := $(VENV)/bin/python
UV := $(TOOLS)/bin/uv
export DAGSTER_HOME := $(CURDIR)
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Time zone of naive timestamps per source; the demo ServiceNow export is written in UK local time.
export ITSM_SOURCE_TIMEZONES ?= servicenow=Europe/London,jira=UTC
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' \) -print)

.PHONY: setup setup-spark demo test test-fast test-spark lint ui dashboard bench clean browser

# Virtual environment from the lock file (uv pinned in a tools venv so the project venv stays exact).
# Bytecode is compiled at install: some environments set PYTHONDONTWRITEBYTECODE, and every process would
# otherwise recompile dagster, dbt and GX from source (DECISIONLOG.md).
$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(UV) || (python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q uv==0.9.30)
	$(UV) sync --frozen --group dev --no-group spark --compile-bytecode --python python3
	@touch $@

# dbt manifest prepared once here, not at every definitions load.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && ../$(VENV)/bin/dbt parse --quiet --profiles-dir .

setup: $(VENV)/.installed $(MANIFEST)

demo: setup
	$(VENV)/bin/itsm demo-data
	$(VENV)/bin/itsm run
	$(VENV)/bin/itsm status

# Headless Chromium for the browser tests (Debian package; the machine has no other browser source).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# sqlfluff compiles the models with dbt against the profile's `lint` output, an empty in-memory DuckDB (.sqlfluff).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/sqlfluff lint dbt_project

test: setup browser lint
	$(VENV)/bin/pytest -m "not spark"

# The inner loop: ruff and every test that opens no browser and runs no dbt build (tests/conftest.py marks the tests
# on the demo warehouse `slow` and those on the dbt runner `dbt`). `make test` stays the full suite CI runs; run a
# dbt test module alone with `.venv/bin/pytest tests/dbt/test_x.py`.
test-fast: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -m "not slow and not browser and not dbt and not spark"

# The Spark engine (README, Running on Spark / Databricks): Java 17 from Debian's packages when `java` is missing,
# and the spark dependency group synced on top of the dev group (make setup alone never installs it).
setup-spark: setup
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)
	$(UV) sync --frozen --all-groups --compile-bytecode --python python3

# The tests marked `spark` (tests/spark/ and the Spark cases of the SLA engine tests; make test leaves them out).
# They import pyspark, so a missing one fails them rather than skipping.
test-spark: setup-spark
	nice -n 10 $(VENV)/bin/pytest -m spark tests/spark tests/dbt/test_sla_engine.py

# The Dagster UI and its daemon (schedule, inbox sensor, run queue). `dg dev` is the current command (`dagster dev`
# warns that it is superseded); given workspace.yaml it needs no dg project scaffold.
ui: setup
	$(VENV)/bin/dg dev -w workspace.yaml -h 127.0.0.1 -p 3000

dashboard: setup
	$(VENV)/bin/itsm dashboard

# Each benchmark prints its own figures; see README, Performance.
bench: setup-spark
	for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf warehouse build .dagster dbt_project/target data/inbox
