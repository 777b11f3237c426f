# screenpop's entry points. Each target says what it needs; `make test` is what CI runs.
#
#   make run      install the packages, build, install `screenpop`, `screenpop-desktop` and its
#                 window process `screenpop-window` on
#                 PATH, run the desktop app (tray + window); the headless daemon stays
#                 `screenpop run` (or `SCREENPOP_HEADLESS=1 make run`)
#   make test     install the test packages (+ WebKit, tauri-driver), run every test against
#                 real components, the desktop e2e suite included
#   make bench    lookup benchmarks, AMI ingest vs panoramisk, the end-to-end pop latency benchmark
#   make soak     10,000 calls (SOAK_CALLS) through kill -9s and a broker restart, exact accounting
#   make fuzz     every wire-parser fuzz target for 5 minutes (make test runs them briefly)
#   make package  the release build → dist/screenpop_<version>_amd64.deb and
#                 dist/screenpop-<version>-1.x86_64.rpm, checked with lintian,
#                 desktop-file-validate, appstreamcli, systemd-analyze and rpm -qlp
#   make lint     formatting, the layer check (docs/ARCHITECTURE.md), clippy with warnings as errors
#   make fmt      cargo fmt

CARGO ?= cargo
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR

.PHONY: deps build install run test bench bench-desktop fmt lint fuzz soak package

deps:
	scripts/deps.sh run desktop

build:
	$(CARGO) build --release -p screenpop -p screenpop-desktop

install: build
	bin="$${CARGO_HOME:-$$HOME/.cargo}/bin"; \
	for b in screenpop screenpop-desktop screenpop-window; do \
	  install -D -m755 "$(CARGO_TARGET_DIR)/release/$$b" "$$bin/$$b" && echo "installed $$bin/$$b" || exit 1; \
	done

run: deps install
	scripts/run.sh

test:
	scripts/deps.sh test e2e
	scripts/test.sh

bench:
	$(CARGO) bench -p screenpop
	scripts/bench-ami.sh
	@if [ -x scripts/bench-pop.sh ]; then scripts/bench-pop.sh; \
	else echo "scripts/bench-pop.sh not there yet: skipped the pop latency benchmark"; fi

package:
	scripts/deps.sh package
	scripts/package.sh

soak:
	scripts/soak.sh

fuzz:
	scripts/fuzz.sh $${FUZZ_SECONDS:-300}

bench-desktop:
	scripts/bench-desktop.sh

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all --check
	scripts/layers.sh
	$(CARGO) clippy --workspace --all-targets -- -D warnings
