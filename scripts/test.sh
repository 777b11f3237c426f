#!/usr/bin/env bash
# Runs the whole test suite. The integration tests start their own Xvfb, session bus,
# keyring and dunst (tests/support), so this needs no desktop, only the packages from
# `scripts/deps.sh test`. Cargo's output is shown as is; a summary follows at the end.
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

step cargo test --workspace --all-targets
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
echo "summary: $passed passed, $failed_tests failed"
[[ ${#failed[@]} -eq 0 ]]
