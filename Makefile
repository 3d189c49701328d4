# Backbeat: `make run` serves the app with demo data; `make test` runs every check.
# Both set up what they need first (see .ci/setup.sh and .ci/database.sh).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Builds never need a database: queries are checked against the committed .sqlx/.
export SQLX_OFFLINE := true

SITE := target/site
WASM := target/wasm32-unknown-unknown/debug/app.wasm
HYDRATE := -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate
PORT ?= 3000
E2E_PORT ?= 3100

.PHONY: help run test build server site setup-run setup-test database lint fmt sqlx-prepare e2e unit fuzz bench bench-quick bench-venv

help:
	@echo "make run            set up, build, load demo data and serve http://127.0.0.1:$(PORT)"
	@echo "make test           every check: format, lints, unit, integration and browser tests"
	@echo "make sqlx-prepare   refresh .sqlx/ after changing a query or a migration"
	@echo "make fmt            format the code"
	@echo "make fuzz           fuzz each report parser for FUZZ_SECONDS (default 60) each"
	@echo "make bench          every benchmark at full size; rewrites docs/benchmarks.md"
	@echo "make bench-quick    the same at a tenth of the size, into target/bench/"

setup-run:
	@.ci/setup.sh run

setup-test:
	@.ci/setup.sh test

# Find (or start) Postgres before anything long, so a missing one is said at once.
database:
	@.ci/database.sh >/dev/null

build: server site

# With the tests: `cargo test` then finds the binary and libraries built with the same
# features (dev-dependencies unify them) instead of building the server a second time.
server:
	cargo build --workspace --bins --tests

# The browser half: wasm for the app with `hydrate`, bound for the web, beside the
# stylesheet and public files. The same layout `cargo leptos` produces.
site:
	cargo build $(HYDRATE)
	wasm-bindgen --target web --no-typescript --out-dir $(SITE)/pkg --out-name backbeat $(WASM)
	cp style/main.css $(SITE)/pkg/backbeat.css
	cp -R public/. $(SITE)/

run: setup-run database build
	@base=$$(.ci/database.sh); \
	export DATABASE_URL=$${DATABASE_URL:-$$base/backbeat}; \
	target/debug/backbeat demo; \
	echo; echo "Demo logins (email, password, role):"; \
	target/debug/backbeat demo --logins; \
	echo; echo "Serving Backbeat on http://127.0.0.1:$(PORT)  (Ctrl-C stops it)"; \
	BACKBEAT_ADDR=127.0.0.1:$(PORT) exec target/debug/backbeat serve

test: setup-test database lint build unit e2e
	@echo "make test: all checks passed"

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	@.ci/sqlx.sh check
	cargo clippy $(HYDRATE) -- -D warnings

sqlx-prepare:
	@.ci/sqlx.sh prepare

# Each integration test makes its own backbeat_test_* database; drop the last run's first.
unit:
	@base=$$(.ci/database.sh); \
	psql -Atq "$$base/postgres" -c "SELECT datname FROM pg_database WHERE datname LIKE 'backbeat\_test\_%'" \
	  | while read -r db; do psql -q "$$base/postgres" -c "DROP DATABASE \"$$db\" WITH (FORCE)"; done; \
	BACKBEAT_TEST_DATABASE_URL=$$base cargo test --workspace

e2e: build
	@.ci/e2e.sh $(E2E_PORT)

# The parsers under libFuzzer (cargo-fuzz). cargo-fuzz needs nightly compiler flags;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them. New inputs go to a scratch
# corpus under target/; crashes to fuzz/artifacts/: copy one into fuzz/corpus/<target>/
# with its fix, and `make test` replays it from then on.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := dsr apple youtube any
fuzz: setup-run
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p target/fuzz-corpus/$$target; \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 SQLX_OFFLINE_DIR=$(CURDIR)/.sqlx \
	    cargo fuzz run -O $$target ../target/fuzz-corpus/$$target corpus/$$target \
	    -- -max_total_time=$(FUZZ_SECONDS) -max_len=65536) || exit 1; \
	done

# Benchmarks (docs/benchmarking.md). Not part of `make test`: the full run takes about
# an hour. The pandas loader they compare against is installed from PyPI into a venv.
BENCH_VENV := target/bench-venv
BENCH_RUNS ?= 3

bench-venv: $(BENCH_VENV)/.installed
$(BENCH_VENV)/.installed: server/benches/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

bench: setup-test database bench-venv
	@BACKBEAT_BENCH_SERVER=$$(.ci/database.sh) BACKBEAT_BENCH_VENV=$(CURDIR)/$(BENCH_VENV) \
	  cargo bench -p server --bench backbeat -- --runs $(BENCH_RUNS)

bench-quick: setup-test database bench-venv
	@BACKBEAT_BENCH_SERVER=$$(.ci/database.sh) BACKBEAT_BENCH_VENV=$(CURDIR)/$(BENCH_VENV) \
	  cargo bench -p server --bench backbeat -- --quick --runs $(BENCH_RUNS)
