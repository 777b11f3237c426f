#!/usr/bin/env bash
# Pop latency from real sources, beside the `notify-send` floor, side by side in one run:
# a real baresip calling the agent's baresip (ctrl_tcp) and MQTT with 100 agents on one
# mosquitto. Starts its own headless desktop, phones and broker (benches/source_pop).
#
#   scripts/bench-sources.sh [baresip|mqtt] [--debug]
#
# SCREENPOP_BENCH_CALLS=N sets calls per path (default 100). --debug measures the debug
# build (no release compile; slower code, same method).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test >/dev/null

args=()
profile=release
for arg in "$@"; do
  case "$arg" in
    --debug) profile=debug ;;
    *) args+=("$arg") ;;
  esac
done

if [[ $profile == debug ]]; then
  exec cargo test -q --bench source_pop -- --bench "${args[@]}"
fi
exec cargo bench -q --bench source_pop -- "${args[@]}"
