# screenpop's entry points. Each target says what it needs; `make test` is what CI runs.
#
#   make run      install the packages, build, install `screenpop` on PATH, run the daemon
#   make test     install the test packages, run every test against real components
#   make bench    lookup benchmarks, AMI ingest vs panoramisk, the end-to-end pop latency benchmark
#   make fuzz     every wire-parser fuzz target for 5 minutes (make test runs them briefly)
#   make lint     clippy on all targets, warnings are errors
#   make fmt      cargo fmt

CARGO ?= cargo
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR

.PHONY: deps build install run test bench fmt lint fuzz

deps:
	scripts/deps.sh run

build:
	$(CARGO) build --release -p screenpop

install: build
	bin="$${CARGO_HOME:-$$HOME/.cargo}/bin"; \
	install -D -m755 "$(CARGO_TARGET_DIR)/release/screenpop" "$$bin/screenpop" && \
	echo "installed $$bin/screenpop"

run: deps install
	scripts/run.sh

test:
	scripts/deps.sh test
	scripts/test.sh

bench:
	$(CARGO) bench -p screenpop
	scripts/bench-ami.sh
	@if [ -x scripts/bench-pop.sh ]; then scripts/bench-pop.sh; \
	else echo "scripts/bench-pop.sh not there yet: skipped the pop latency benchmark"; fi

fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-300}

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
