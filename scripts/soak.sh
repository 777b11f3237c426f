#!/usr/bin/env bash
# The soak and fault suite: SOAK_CALLS calls (default 10000) over the webhook and MQTT into a
# real daemon, killed -9 three times while mosquitto restarts once, against a CRM stand-in
# that fails 20 % of requests and answers 10 % slower than the budget; then exact accounting
# (acknowledged vs logged vs journaled, lost = 0, nothing left in intake or live_calls).
# Loopback only, bounded in time (the test gives up after 120 s + SOAK_CALLS/20 s of waiting).
# Prints the checks and `N passed, N failed`. `make test` runs the same test with 1000 calls.
#
#   scripts/soak.sh          the soak (kills, broker restart, accounting)
#   scripts/soak.sh memory   one daemon, never killed: RSS each time another 1,000 calls are
#                            logged and journaled, checked against +5 MB from 1,000 to SOAK_CALLS
# SOAK_PROFILE=release runs either against the release build.
set -uo pipefail
cd "$(dirname "$0")/.."
export SOAK_CALLS="${SOAK_CALLS:-10000}"
profile=()
[[ "${SOAK_PROFILE:-debug}" == release ]] && profile=(--release)
which=(soak_every)
[[ "${1:-}" == memory ]] && which=(memory_levels_off --ignored)
cargo test "${profile[@]}" --test soak -- "${which[@]}" --nocapture --test-threads 1 2>&1 \
  | grep --line-buffered -E '^(ok  |FAIL|soak:|[0-9]+ passed, [0-9]+ failed|test result|error)'
exit "${PIPESTATUS[0]}"
