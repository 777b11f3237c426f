#!/usr/bin/env bash
# Runs the whole test suite. The integration tests start their own Xvfb, session bus,
# keyring and dunst (testkit/), so this needs no desktop, only the packages from
# `scripts/deps.sh test`. Formatting, layering and clippy are checked first. Cargo's output
# is shown as is; a summary follows at the end (each check counts as one test).
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
failed=()

step() {
  echo "==> $*"
  "$@" 2>&1 | tee -a "$log"
  local status=${PIPESTATUS[0]}
  [[ $status -eq 0 ]] || failed+=("$* (exit $status)")
}

# Checks that are not test suites count as one test each in the summary.
checks_passed=0
checks_failed=0
check() {
  echo "==> $*"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
  else
    local status=$?
    checks_failed=$((checks_failed + 1))
    failed+=("$* (exit $status)")
  fi
}

check cargo fmt --all --check
check scripts/layers.sh
check cargo clippy --workspace --all-targets -- -D warnings

step cargo test --workspace --all-targets --no-fail-fast
# --all-targets leaves out doc tests; they run here.
step cargo test --workspace --doc
# The wire parsers under cargo-fuzz for a short while (`make fuzz` runs longer).
step scripts/fuzz.sh "${FUZZ_SECONDS:-15}"

# Sum cargo's "test result:" lines, e.g. "test result: ok. 5 passed; 0 failed; 1 ignored; ...".
read -r passed failed_tests ignored < <(awk '
  /^test result:/ { for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
  END { print p + 0, f + 0, g + 0 }' "$log")

echo
echo "==> all suites: $ignored ignored, $((SECONDS - started)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
  printf '    FAILED: %s\n' "${failed[@]}"
fi
echo "summary: $((passed + checks_passed)) passed, $((failed_tests + checks_failed)) failed"
[[ ${#failed[@]} -eq 0 ]]
