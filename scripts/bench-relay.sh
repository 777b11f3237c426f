#!/usr/bin/env bash
# The call-center floor benchmark: a loopback AMI generator (CALLS/s across EXTS extensions, ring
# groups of three), the real `screenpop relay`, a real mosquitto, EXTS agent clients in one
# process; then, in the same run, the baseline it replaces: N desks each logged in to AMI
# directly (N = 10, 100, 500). Prints one JSON line per measurement (see BENCHMARKS.md).
#
#   scripts/bench-relay.sh [CALLS_PER_S] [EXTS] [SECONDS]    (defaults 50 500 20)
#   BENCH_PROFILE=dev scripts/bench-relay.sh                  (a debug build; default release)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-50}
exts=${2:-500}
seconds=${3:-20}
profile=${BENCH_PROFILE:-release}
target=${CARGO_TARGET_DIR:-$PWD/target}
dir_name=$([[ $profile == dev ]] && echo debug || echo "$profile")
work=$(mktemp -d /tmp/screenpop-bench-relay.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --quiet --profile "$profile" --bin screenpop
cargo bench --quiet --profile "$profile" --bench relay_floor --no-run
bench=$(ls -t "$target/$dir_name"/deps/relay_floor-* | grep -v '\.d$' | head -n 1)
screenpop="$target/$dir_name/screenpop"

broker_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/mosquitto.conf" <<CONF
user $(id -un)
listener $broker_port 127.0.0.1
allow_anonymous true
max_queued_messages 100000
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &

export work screenpop bench broker_port rate exts seconds
dbus-run-session -- bash -euo pipefail -c '
  export HOME="$work" XDG_DATA_HOME="$work/.local/share" SCREENPOP_DATA_DIR="$work/data" SCREENPOP_CONFIG="$work/relay.toml"
  mkdir -p "$XDG_DATA_HOME" "$SCREENPOP_DATA_DIR"
  printf %s bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  printf "x\n" | "$screenpop" secret set ami >/dev/null
  "$bench" relay "$work/ami.port" "$broker_port" "$work/relay.pid" "$rate" "$exts" "$seconds" &
  bench_pid=$!
  while [[ ! -s "$work/ami.port" ]]; do sleep 0.05; done
  cat >"$SCREENPOP_CONFIG" <<CONF
[webhook]
enabled = false
[relay]
broker = "mqtt://127.0.0.1:$broker_port"
client_id = "bench-relay"
[[source]]
kind = "ami"
address = "127.0.0.1:$(cat "$work/ami.port")"
username = "bench"
secret = "ami"
CONF
  RUST_LOG=screenpop=warn "$screenpop" relay 2>"$work/relay.log" &
  echo $! >"$work/relay.pid"
  wait $bench_pid
  kill -TERM "$(cat "$work/relay.pid")" 2>/dev/null || true
'
"$bench" baseline 3000
