#!/usr/bin/env bash
# AMI ingest benchmark: parse + dispatch events/s on a recorded burst, screenpop (Rust) and a
# Python peer (panoramisk, a real asyncio AMI library) on the same bytes in the same run.
#
#   scripts/bench-ami.sh [EVENTS] [RUNS]      (defaults: 100000 events, 5 runs each)
#
# The burst is the AMI transcripts of tests/fixtures/ami repeated with fresh ids. The Python
# peer is installed into a venv under the target dir (PyPI: panoramisk 1.4).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
runs=${2:-5}
target=${CARGO_TARGET_DIR:-$PWD/target}
mkdir -p "$target"
burst="$target/ami-burst.txt"
venv="$target/bench-venv"
scripts/deps.sh bench

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import panoramisk" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "panoramisk==1.4"
fi
python3 scripts/bench_ami.py burst "$burst" "$events"
rust=$(cargo bench --quiet --bench ami_ingest -- "$burst" "$runs" | tail -n 1)
python=$("$venv/bin/python" scripts/bench_ami.py peer "$burst" "$runs" | tail -n 1)
echo "$rust"
echo "$python"
python3 - "$rust" "$python" <<'PY'
import json, sys
rust, py = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert rust["events"] == py["events"], "the two sides did not parse the same events"
print(f"screenpop {rust['median_per_s']:,} events/s, {py['impl']} {py['median_per_s']:,} events/s "
      f"(medians of {rust['runs']} runs): ratio {rust['median_per_s'] / py['median_per_s']:.1f}x "
      f"on {rust['events']:,} events (call events out: {rust['call_events']:,} vs {py['call_events']:,}; "
      "the Python handler is a simpler Linkedid grouping)")
print("target >= 50,000 events/s:", "met" if rust["median_per_s"] >= 50_000 else "NOT met")
PY
