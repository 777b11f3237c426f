#!/usr/bin/env bash
# Fuzzes screenpop's wire parsers (AMI, Fritz!Box call monitor, and any other target in
# fuzz/fuzz_targets) with cargo-fuzz on the nightly toolchain.
#
#   scripts/fuzz.sh [SECONDS]     each target for SECONDS (default 20; `make fuzz` uses 300)
#
# Seeds come from fuzz/corpus/<target> (committed) and are not modified: new inputs go to a
# temp folder. A crash, or an input taking over 10 s (a hang), leaves its input in
# fuzz/artifacts/<target>/ and fails the script.
# Without nightly or cargo-fuzz (scripts/deps.sh fuzz installs both) the parsers' proptest
# properties run instead, so the parsers are still exercised on random input.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

if ! scripts/deps.sh fuzz || ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz on nightly is not available; running the parsers' proptests instead"
  PROPTEST_CASES=20000 exec cargo test --lib -- wire::tests
fi

# A separate target dir: fuzz builds use sanitizer flags that would invalidate normal builds.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$PWD/target}/fuzz}"
failed=()
for source in fuzz/fuzz_targets/*.rs; do
  target=$(basename "$source" .rs)
  work=$(mktemp -d)
  echo "==> fuzz $target for ${seconds}s"
  if ! cargo +nightly fuzz run "$target" "$work" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1 2>&1 | tail -n 15; then
    failed+=("$target")
  fi
  rm -rf "$work"
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzz.sh: no crashes"
