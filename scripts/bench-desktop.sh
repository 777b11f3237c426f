#!/usr/bin/env bash
# Desktop benchmarks for BENCHMARKS.md, each side by side with its baseline in the same run:
#   1. memory: total RSS (app + every WebKit child) of screenpop-desktop with its window open,
#      then after the window is closed (tray only), vs an empty Tauri window built the same way
#      (benches/empty-window: same tauri, features, release profile) — with 1M call-log rows
#   2. cold start to tray-ready (`--hidden`, webhook answering) vs the headless `screenpop run`
#   3. call-log query latency at 1M rows in the core (benches/calllog_search.rs)
# Needs `scripts/deps.sh e2e` (WebKit, Xvfb, dunst, keyring, tauri-driver). Runs headless in
# its own D-Bus session and X display; touches nothing of the caller's session.
#
#   scripts/bench-desktop.sh            (make bench-desktop)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
bin=$CARGO_TARGET_DIR/release
rows=${BENCH_ROWS:-1000000}
say() { echo "bench-desktop: $*" >&2; }

# The session below gets its own HOME; cargo (for the query benchmark) still needs the real one.
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}

if [[ -z "${SCREENPOP_BENCH_SESSION:-}" ]]; then
  say "building release binaries (screenpop, screenpop-desktop, empty-window baseline)"
  # One invocation: the baseline gets exactly the app's dependency versions and features.
  cargo build --release -q -p screenpop -p screenpop-desktop -p screenpop-empty-window
  export SCREENPOP_BENCH_SESSION=1
  exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi

work=$(mktemp -d /tmp/screenpop-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export HOME=$work XDG_DATA_HOME=$work/.local/share XDG_CONFIG_HOME=$work/.config \
  XDG_CACHE_HOME=$work/.cache XDG_RUNTIME_DIR=$work/run
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf 'bench' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
dunst >/dev/null 2>&1 &
pids+=($!)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
export SCREENPOP_CONFIG=$work/config.toml SCREENPOP_DATA_DIR=$work/data RUST_LOG=screenpop=warn
printf '[webhook]\nport = %s\n' "$port" >"$SCREENPOP_CONFIG"

# --- 1M call-log rows, generated once and cached in the target dir ------------------------
cache=$CARGO_TARGET_DIR/bench-data/calls-$rows.db
if [[ ! -f "$cache" ]]; then
  say "generating $rows call-log rows into $cache (once)"
  mkdir -p "$(dirname "$cache")"
  SCREENPOP_DATA_DIR=$work/gen "$bin/screenpop" contacts list --json >/dev/null
  sqlite3 "$work/gen/screenpop.db" <<SQL
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO calls(call_id, source, direction, number, number_e164, number_display, remote_name,
  name, customer_id, directory, matches, vip, note, profile_url, started_at, answered_at,
  ended_at, missed, end_reason)
SELECT 'bench-' || i, 'webhook', CASE WHEN i % 5 = 0 THEN 'outbound' ELSE 'inbound' END,
  printf('555%07d', i % 200003), printf('+1555%07d', i % 200003),
  printf('(555) %03d-%04d', (i % 200003) / 10000, (i % 200003) % 10000), NULL,
  CASE i % 97 WHEN 0 THEN 'Joe Quimby' ELSE
    rtrim(substr('Lisa  Homer Marge Ned   Apu   Moe   BarneyOtto  Edna  Seymour', 1 + 6 * (i % 10), 6))
    || ' ' || rtrim(substr('Simpson  Flanders Gumble   Szyslak  Krabappel', 1 + 9 * (i % 5), 9)) END,
  'c' || (i % 50000), 'local', 1, (i % 13 = 0),
  'Last order: ' || (1 + i % 4) || ' ' ||
    rtrim(substr('pepperoni margheritahawaiian  veggie    ', 1 + 10 * (i % 4), 10)) || ' pizzas',
  'https://crm.example.com/customers/' || (i % 50000),
  1764000000000 - i * 60000,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 1764000000000 - i * 60000 + 8000 END,
  1764000000000 - i * 60000 + 95000, (i % 7 = 0), 'hangup'
FROM n;
SQL
  mv "$work/gen/screenpop.db" "$cache"
fi
mkdir -p "$SCREENPOP_DATA_DIR"
cp "$cache" "$SCREENPOP_DATA_DIR/screenpop.db"
"$bin/screenpop" contacts import fixtures/demo-contacts.csv >/dev/null

# --- helpers ---------------------------------------------------------------------------------
# Total RSS in MB of a process and all its descendants (the WebKit web and network processes).
rss_tree() {
  ps -e -o pid=,ppid=,rss= | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3 }
    END { for (p in rss) { q = p; while (q != "" && q != 0) { if (q == root) { total += rss[p]; break } q = parent[q] } }
          printf "%.1f", total / 1024 }'
}
# "name RSS-MB" of the process and all its descendants, e.g. "screenpop-deskt 16, WebKitWebProces 185".
children() {
  ps -e -o pid=,ppid=,rss=,comm= | awk -v root="$1" '
    { parent[$1] = $2; rss[$1] = $3; name[$1] = $4; order[NR] = $1 }
    END { for (i = 1; i <= NR; i++) { p = order[i]; q = p
            while (q != "" && q != 0) { if (q == root) { printf "%s%s %.0f", sep, name[p], rss[p] / 1024; sep = ", "; break } q = parent[q] } } }'
}
newest() { pgrep -n -f "^$1( |$)" || true; }
wait_health() {
  for _ in $(seq 3000); do
    curl -fs "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  return 1
}
settle=${BENCH_SETTLE_S:-8}
# The apps inherit tauri-driver's environment: a baseline with other WebKit settings needs a
# driver of its own. `start_driver [VAR=value…]`.
unset WEBKIT_DISABLE_COMPOSITING_MODE
start_driver() {
  driver_port=$(free_port)
  env "$@" tauri-driver --port "$driver_port" --native-port "$(free_port)" >>"$work/driver.log" 2>&1 &
  driver_pid=$!
  pids+=("$driver_pid")
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$driver_port/status" >/dev/null 2>&1 && break; sleep 0.05; done
}
start_driver

wd() { curl -fs -X "$1" "http://127.0.0.1:$driver_port/session$2" -H 'content-type: application/json' ${3:+-d "$3"}; }
open_session() {
  wd POST "" "{\"capabilities\":{\"alwaysMatch\":{\"tauri:options\":{\"application\":\"$1\"}}}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["sessionId"])'
}

# --- 1. memory -------------------------------------------------------------------------------
declare -A mem
measure_window() { # label binary
  local label=$1 binary=$2 session pid
  session=$(open_session "$binary")
  sleep "$settle"
  pid=$(newest "$binary")
  mem[$label.open]=$(rss_tree "$pid")
  mem[$label.procs]=$(children "$pid")
  if [[ $label == app ]]; then
    # Ctrl+W, as the agent closes it (WebDriver's Close Window would end the app with it).
    wd POST "/$session/execute/sync" '{"script":"document.dispatchEvent(new KeyboardEvent(\"keydown\", {key: \"w\", ctrlKey: true}))","args":[]}' >/dev/null || true
    sleep "$settle"
    mem[app.closed]=$(rss_tree "$pid")
    mem[app.closed.procs]=$(children "$pid")
  fi
  wd DELETE "/$session" >/dev/null || true
  kill "$pid" 2>/dev/null || true
  sleep 1
}
say "memory: empty window, then screenpop (window open, then closed)"
measure_window empty "$bin/screenpop-empty-window"
measure_window app "$bin/screenpop-desktop"
# screenpop's window turns accelerated compositing off; the same empty window with it off too.
kill "$driver_pid" 2>/dev/null || true
start_driver WEBKIT_DISABLE_COMPOSITING_MODE=1
say "memory: empty window with compositing off, as screenpop's window runs"
measure_window empty_nc "$bin/screenpop-empty-window"

# --- 2. cold start to tray-ready, and the never-opened tray's memory ----------------------
start_ms() { # command… → $elapsed: ms until the webhook answers; $started: its pid
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 &
  started=$!
  wait_health || { say "$* never answered"; return 1; }
  t1=$(date +%s%N)
  elapsed=$(((t1 - t0) / 1000000))
}
stop_started() { kill "$started" 2>/dev/null || true; wait "$started" 2>/dev/null || true; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
runs=${BENCH_START_RUNS:-5}
desk=() head=()
say "cold start: $runs × headless daemon, then the desktop app --hidden"
for _ in $(seq "$runs"); do
  start_ms "$bin/screenpop" run
  head+=("$elapsed")
  stop_started
  start_ms "$bin/screenpop-desktop" --hidden
  desk+=("$elapsed")
  sleep "$settle"
  hidden_rss=$(rss_tree "$started")
  stop_started
done
head_ms=$(printf '%s\n' "${head[@]}" | median)
desk_ms=$(printf '%s\n' "${desk[@]}" | median)

# --- report ---------------------------------------------------------------------------------
python3 - "$rows" "${mem[empty.open]}" "${mem[app.open]}" "${mem[app.closed]}" "$hidden_rss" \
  "$head_ms" "$desk_ms" "${mem[empty.procs]}" "${mem[app.procs]}" "${mem[app.closed.procs]}" \
  "${mem[empty_nc.open]}" "${mem[empty_nc.procs]}" <<'PY'
import sys
rows, empty, app_open, app_closed, hidden, head, desk, ep, ap, cp, empty_nc, np = sys.argv[1:]
e, o, c, h, n = map(float, (empty, app_open, app_closed, hidden, empty_nc))
print(f"\nscreenpop-desktop, release build, {int(rows):,} call-log rows, total RSS of the app and its WebKit children")
print("| state | total RSS | baseline | difference | target |")
print("|---|---:|---:|---:|---|")
print(f"| window open | {o:.0f} MB | empty Tauri window {e:.0f} MB | {o - e:+.0f} MB ({o / e:.2f}×) | ≤ empty + 25 MB: {'met' if o <= e + 25 else 'MISSED'} |")
print(f"| window open, vs the empty window with compositing off too | {o:.0f} MB | empty Tauri window, compositing off {n:.0f} MB | {o - n:+.0f} MB ({o / n:.2f}×) | (same setting on both) |")
print(f"| window closed (tray only) | {c:.0f} MB | window open {o:.0f} MB | {c - o:+.0f} MB ({c / o:.2f}×) | < 60 MB: {'met' if c < 60 else 'MISSED'} |")
print(f"| started `--hidden` (tray only, never opened) | {h:.0f} MB | empty Tauri window {e:.0f} MB | {h / e:.2f}× | < 60 MB: {'met' if h < 60 else 'MISSED'} |")
print(f"\nprocesses: empty window [{ep}]; empty window, compositing off [{np}]; app open [{ap}]; app closed [{cp or 'none'}]")
print("\n| cold start to tray-ready (webhook answering), median | ms | ratio |")
print("|---|---:|---:|")
print(f"| `screenpop run` (headless daemon, baseline) | {head} | 1.00× |")
print(f"| `screenpop-desktop --hidden` | {desk} | {int(desk) / max(1, int(head)):.2f}× |")
PY

# --- 3. call-log query latency at 1M rows ------------------------------------------------------
cp "$cache" "$work/query.db"
SCREENPOP_BENCH_DB=$work/query.db cargo bench -q -p screenpop --bench calllog_search
