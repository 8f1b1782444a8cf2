# The two commands: `make run` (serve Vigil on an embedded SQLite file) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# HOST and PORT override VIGIL_HOST and VIGIL_PORT for one run (`make run PORT=9000`); unset, vigil reads those.
HOST   ?=
PORT   ?=

.PHONY: run demo test fuzz lint typecheck migrate install dev bench bench-cli bench-load bench-compare bench-sla bench-netbox bench-cmdb bench-alerts clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Vigil needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/vigil db upgrade

run: migrate
	$(BIN)/vigil serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

demo: migrate
	$(BIN)/vigil demo

lint: dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-logo

typecheck: dev
	$(BIN)/mypy

# The suite runs in TEST_WORKERS parallel pytest-xdist processes (each with its own PostgreSQL test
# database); TEST_WORKERS=0 runs it in this process, as a debugger wants.
TEST_WORKERS ?= 3

test: lint typecheck
	$(BIN)/pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The API fuzzer per role with many more examples than `make test` runs (a nightly job, ~30-60 min).
fuzz: dev
	VIGIL_FUZZ_EXAMPLES=$${VIGIL_FUZZ_EXAMPLES:-300} $(BIN)/pytest -q tests/test_openapi_fuzz.py -p no:cacheprovider

bench: dev
	$(BIN)/python -m bench.run

# CLI start-up time (`vigil --help` under 0.5 s): fresh processes, alternating with a bare Typer import.
bench-cli: dev
	$(BIN)/python -m bench.cli_startup

# Benchmarks at depth (docs/benchmarks.md, "How to run"): fill a fresh database, then compare with the
# reference app. Small defaults; the big runs set BENCH_URL and BENCH_INCIDENTS explicitly.
BENCH_URL       ?= sqlite:////tmp/vigil_bench_small.db
BENCH_INCIDENTS ?= 2000
BENCH_AUDIT_KEY ?= /tmp/vigil-bench-audit.key
BENCH_ARGS      ?= --rounds 1 --seconds 5

bench-load: dev
	VIGIL_AUDIT_KEY_FILE=$(BENCH_AUDIT_KEY) $(BIN)/python -m bench.loader --url $(BENCH_URL) --incidents $(BENCH_INCIDENTS)

bench-compare: dev
	VIGIL_AUDIT_KEY_FILE=$(BENCH_AUDIT_KEY) $(BIN)/python -m bench.compare --url $(BENCH_URL) $(BENCH_ARGS)

# SLA sweep at depth (docs/benchmarks.md, "SLA sweep"): wipes BENCH_SLA_URL, fills 100k then 1M open
# incidents with their clocks (several minutes) and times one worker sweep pass finding D due thresholds.
# BENCH_SLA_ARGS=--quick is a smoke run (2,000 incidents, no doc).
BENCH_SLA_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/vigil_slabench
BENCH_SLA_ARGS ?=

bench-sla: dev
	VIGIL_AUDIT_KEY_FILE=$(BENCH_AUDIT_KEY) $(BIN)/python -m bench.sla_sweep --url $(BENCH_SLA_URL) $(BENCH_SLA_ARGS)

# NetBox import at depth (docs/benchmarks.md, "CMDB: NetBox import"): 10,000 devices from the local NetBox
# stand-in into a fresh SQLite file and a wiped BENCH_NETBOX_URL, then a re-run; BENCH_NETBOX_ARGS="--devices
# 500 --no-doc" is a smoke run.
BENCH_NETBOX_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/vigil_nbbench
BENCH_NETBOX_ARGS ?=

bench-netbox: dev
	VIGIL_AUDIT_KEY_FILE=$(BENCH_AUDIT_KEY) $(BIN)/python -m bench.cmdb_netbox --pg-url $(BENCH_NETBOX_URL) $(BENCH_NETBOX_ARGS)
# CMDB impact analysis at depth (docs/benchmarks.md, "CMDB: impact analysis"): deletes BENCH_CMDB_SQLITE and
# wipes BENCH_CMDB_URL, fills each with 100,000 CIs and 300,000 relationships and times impact to depth 10
# alternating with the same recursive CTE as plain SQL. BENCH_CMDB_ARGS="--runs 5 --no-doc" is a smoke run.
BENCH_CMDB_SQLITE ?= sqlite:////tmp/vigil_cmdb_bench.db
BENCH_CMDB_URL    ?= postgresql+psycopg://postgres@127.0.0.1:5432/vigil_cibench
BENCH_CMDB_ARGS   ?=

bench-cmdb: dev
	VIGIL_AUDIT_KEY_FILE=$(BENCH_AUDIT_KEY) $(BIN)/python -m bench.cmdb_impact --sqlite $(BENCH_CMDB_SQLITE) \
		--pg $(BENCH_CMDB_URL) $(BENCH_CMDB_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Alert storm (docs/benchmarks.md, "Alert intake: storm"): wipes BENCH_ALERTS_URL, then rounds of 10,000
# Alertmanager alerts in batches of 10 at concurrency 8 to two `vigil serve`, alternating with the reference.
BENCH_ALERTS_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/vigil_alertbench
BENCH_ALERTS_ARGS ?=

bench-alerts: dev
	VIGIL_AUDIT_KEY_FILE=$(BENCH_AUDIT_KEY) $(BIN)/python -m bench.alerts_storm --url $(BENCH_ALERTS_URL) $(BENCH_ALERTS_ARGS)
