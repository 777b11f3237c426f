#!/usr/bin/env bash
# Ring → notification-on-the-bus latency of `screenpop run` for a local hit, side by side in
# the same run with the bare `notify-send` round trip (the floor), plus the daemon's idle RSS.
#
#   scripts/bench-pop.sh [CALLS]        (default 200 measured calls of each, after 10 warm-ups)
#   BENCH_POP_EXEC='cmd …' scripts/bench-pop.sh
#                                       runs `cmd` inside the same session (daemon up, contacts
#                                       imported, $SCREENPOP and $LISA set) instead of the
#                                       measurement, e.g. a whole-process timer over
#                                       `$SCREENPOP event ringing --from $LISA` and `notify-send`
#
# It builds its own private headless session the way testkit/src/desktop.rs does — Xvfb, a
# private dbus-daemon (no service activation), gnome-keyring unlocked, dunst with timeouts 0 —
# starts the release `screenpop run` with a temp SCREENPOP_CONFIG/SCREENPOP_DATA_DIR on a free
# webhook port, and imports fixtures/demo-contacts.csv among 1,000 generated contacts. Then, in
# rotating order:
#   screenpop: t0, POST a ringing event for Lisa (555-1234) straight to the webhook,
#              t1 = the Notify call carrying "Welcome back Lisa" seen on the bus;
#              then the call ends and its notification is closed;
#   hook:      the same, but t0 is the start of `screenpop event ringing --from 555-1234` —
#              the process a softphone's "run on incoming call" hook starts (over the
#              daemon's socket);
#   floor:     t0, start `notify-send`, t1 = its Notify call seen on the bus.
# t0 is bash's $EPOCHREALTIME, t1 dbus-monitor's receive stamp (both CLOCK_REALTIME, µs).
# Every process it starts is stopped on exit (trap), and the temp dir is removed.
set -euo pipefail

CALLS=${1:-200}
WARMUP=10
IDLE_S=10
KEYRING_PASSWORD=screenpop-bench
LISA=555-1234

repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
screenpop=$target/release/screenpop

say() { printf 'bench-pop: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

[[ $CALLS =~ ^[0-9]+$ && $CALLS -ge 1 ]] || die "CALLS must be a positive number, got '$CALLS'"
for tool in Xvfb dbus-daemon dbus-send dbus-monitor gnome-keyring-daemon dunst dunstctl \
  notify-send secret-tool stdbuf; do
  command -v "$tool" >/dev/null || die "$tool is not installed: run scripts/deps.sh test"
done

say "building screenpop (release)"
(cd "$repo" && cargo build --release -p screenpop --quiet)

# ---- the private session --------------------------------------------------------------------
dir=$(mktemp -d -t screenpop-bench-pop-XXXXXX)
pids=()
cleanup() {
  local status=$?
  exec 4<&-
  # Reverse start order: screenpop and the monitor first, Xvfb last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    for _ in {1..40}; do
      kill -0 "${pids[i]}" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [[ $status -ne 0 && $status -ne 130 && $status -ne 143 && -d $dir/logs ]]; then
    for log in "$dir"/logs/*.log; do
      say "--- $(basename "$log") (last lines) ---"
      tail -n 15 "$log" >&2 || true
    done
  fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$dir"/{run,.config,.cache,.local/share,logs,screenpop/data}
chmod 700 "$dir/run"
# Nothing from the caller's own desktop leaks in (desktop.rs's OUTER_SESSION_VARS).
unset DISPLAY DBUS_SESSION_BUS_ADDRESS WAYLAND_DISPLAY XDG_CURRENT_DESKTOP XDG_SESSION_DESKTOP \
  XDG_SESSION_TYPE DESKTOP_SESSION GNOME_DESKTOP_SESSION_ID KDE_FULL_SESSION XAUTHORITY \
  SSH_AUTH_SOCK GNOME_KEYRING_CONTROL DBUS_SYSTEM_BUS_ADDRESS RUST_LOG
export HOME=$dir XDG_RUNTIME_DIR=$dir/run XDG_CONFIG_HOME=$dir/.config \
  XDG_CACHE_HOME=$dir/.cache XDG_DATA_HOME=$dir/.local/share

# Waits up to 10 s for `check` to succeed.
wait_for() {
  local what=$1
  shift
  for _ in {1..1000}; do
    if "$@"; then return 0; fi
    sleep 0.01
  done
  die "timed out waiting for $what"
}
has_line() { [[ -s $1 ]] && grep -q . "$1"; }
name_owned() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q true
}

# -displayfd: Xvfb picks a free display and writes its number to that fd.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$dir/display" \
  2>"$dir/logs/xvfb.log" &
pids+=($!)
wait_for "Xvfb" has_line "$dir/display"
export DISPLAY=":$(head -n1 "$dir/display")"

# Our own bus config: no activation (nothing starts a default dunst or a locked keyring
# behind our back), eavesdropping allowed so dbus-monitor sees every Notify.
cat >"$dir/session-bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$dir/run</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$dir/session-bus.conf" --nofork --print-address=1 \
  >"$dir/bus-address" 2>"$dir/logs/dbus.log" &
pids+=($!)
wait_for "dbus-daemon" has_line "$dir/bus-address"
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$dir/bus-address")
export DBUS_SESSION_BUS_ADDRESS

# Reads the password until EOF, creates the login keyring and unlocks it.
printf '%s' "$KEYRING_PASSWORD" |
  gnome-keyring-daemon --foreground --unlock --components=secrets \
    >/dev/null 2>"$dir/logs/keyring.log" &
pids+=($!)
wait_for "gnome-keyring (org.freedesktop.secrets)" name_owned org.freedesktop.secrets

cat >"$dir/dunstrc" <<'EOF'
[global]
sticky_history = yes
history_length = 50

[urgency_low]
timeout = 0
[urgency_normal]
timeout = 0
[urgency_critical]
timeout = 0
EOF
dunst -config "$dir/dunstrc" >/dev/null 2>"$dir/logs/dunst.log" &
pids+=($!)
wait_for "dunst (org.freedesktop.Notifications)" name_owned org.freedesktop.Notifications

# ---- the bus monitor ------------------------------------------------------------------------
# Method calls to the notification server, each stamped by dbus-monitor as it receives it.
mkfifo "$dir/bus.fifo"
stdbuf -oL dbus-monitor --session --monitor \
  "type='method_call',interface='org.freedesktop.Notifications'" \
  >"$dir/bus.fifo" 2>"$dir/logs/monitor.log" &
pids+=($!)
exec 4<"$dir/bus.fifo"

# Reads the monitor until the next Notify or CloseNotification (or `timeout` s of silence).
# Sets EV_MEMBER, EV_US (µs since the epoch), EV_APP and EV_SUMMARY (Notify only).
next_event() {
  local timeout=$1 line strings
  EV_MEMBER='' EV_US=0 EV_APP='' EV_SUMMARY=''
  while IFS= read -r -t "$timeout" -u 4 line; do
    [[ $line =~ ^method\ call\ time=([0-9]+)\.([0-9]{6})\ .*member=(Notify|CloseNotification)$ ]] ||
      continue
    EV_US=$((10#${BASH_REMATCH[1]}${BASH_REMATCH[2]}))
    EV_MEMBER=${BASH_REMATCH[3]}
    [[ $EV_MEMBER == Notify ]] || return 0
    # Notify(app_name, replaces_id, app_icon, summary, …): the 1st and 3rd strings.
    strings=()
    while ((${#strings[@]} < 3)) && IFS= read -r -t "$timeout" -u 4 line; do
      [[ $line =~ ^\ +string\ \"(.*)\"$ ]] && strings+=("${BASH_REMATCH[1]}")
    done
    EV_APP=${strings[0]-} EV_SUMMARY=${strings[2]-}
    return 0
  done
  return 1
}

# The first Notify from `app` whose summary contains `text`, received after `t0` (µs).
wait_notify() {
  local app=$1 text=$2 t0=$3
  while next_event 5; do
    [[ $EV_MEMBER == Notify && $EV_APP == "$app" && $EV_SUMMARY == *"$text"* ]] || continue
    ((EV_US >= t0)) && return 0
  done
  return 1
}

# ---- screenpop ------------------------------------------------------------------------------
port=$(
  exec 2>/dev/null
  for candidate in $(shuf -i 20000-60999 -n 50); do
    # A port nobody answers on is free for the daemon to bind.
    if ! (exec 9<>"/dev/tcp/127.0.0.1/$candidate"); then
      echo "$candidate"
      break
    fi
  done
)
[[ -n $port ]] || die "no free port found"

export SCREENPOP_CONFIG=$dir/screenpop/config.toml SCREENPOP_DATA_DIR=$dir/screenpop/data
# No "Missed call" pop after each unanswered benchmark call: one notification per call.
cat >"$SCREENPOP_CONFIG" <<EOF
[webhook]
port = $port

[notify]
missed = false
EOF

# 4<&-: the daemon must not hold the monitor's pipe open.
"$screenpop" run 4<&- >"$dir/logs/screenpop.log" 2>&1 &
daemon=$!
pids+=("$daemon")

# One HTTP/1.1 request on a fresh connection; prints the status code.
http() {
  local method=$1 path=$2 body=${3-} crlf=$'\r\n' head status
  head="$method $path HTTP/1.1${crlf}Host: 127.0.0.1:$port${crlf}Connection: close${crlf}"
  [[ -z ${token-} ]] || head+="Authorization: Bearer $token${crlf}"
  [[ -z $body ]] || head+="Content-Type: application/json${crlf}Content-Length: ${#body}${crlf}"
  exec 5<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf '%s\r\n%s' "$head" "$body" >&5
  IFS=' ' read -r -t 5 _ status _ <&5 || status=000
  exec 5>&-
  echo "$status"
}
healthy() {
  kill -0 "$daemon" 2>/dev/null || die "screenpop run exited early"
  [[ $(http GET /v1/health 2>/dev/null) == 200 ]]
}
wait_for "screenpop run on 127.0.0.1:$port" healthy
# The demo contacts among 1,000 others, as a desk's local directory would hold them.
cp "$repo/fixtures/demo-contacts.csv" "$dir/contacts.csv"
awk 'BEGIN { for (i = 0; i < 1000 - 13; i++) printf "c%d,Contact %d,Company %d,+1 212 555 %04d,false,,\n", i, i, i % 50, i }' \
  >>"$dir/contacts.csv"
"$screenpop" contacts import "$dir/contacts.csv" 4<&- >"$dir/logs/import.log" 2>&1 ||
  die "contacts import failed: $(cat "$dir/logs/import.log")"
token=$(secret-tool lookup service screenpop username webhook-token) ||
  die "no webhook token in the keyring (service=screenpop username=webhook-token)"

rss() {
  awk '/^(VmRSS|RssAnon|RssFile|Threads):/ { v[$1] = $2 }
       END { printf "%.1f MB (anon %.1f, file %.1f), %d threads",
             v["VmRSS:"] / 1024, v["RssAnon:"] / 1024, v["RssFile:"] / 1024, v["Threads:"] }' \
    "/proc/$daemon/status"
}
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$daemon/status"; }

say "screenpop run up (pid $daemon, port $port); idling ${IDLE_S} s"
sleep "$IDLE_S"
idle_rss=$(rss)
idle_rss_mb=$(rss_mb)
say "idle RSS after start-up + ${IDLE_S} s: $idle_rss"

if [[ -n ${BENCH_POP_EXEC-} ]]; then
  say "running BENCH_POP_EXEC in the session"
  SCREENPOP=$screenpop LISA=$LISA sh -c "$BENCH_POP_EXEC" 4<&-
  exit
fi

# ---- the measurement ------------------------------------------------------------------------
: >"$dir/screenpop.us"
: >"$dir/hook.us"
: >"$dir/floor.us"
failures=0

ring_screenpop() {
  local n=$1 t0 call="bench-$1"
  t0=${EPOCHREALTIME/./}
  [[ $(http POST /v1/events "{\"type\":\"ringing\",\"call_id\":\"$call\",\"from\":\"$LISA\"}") == 202 ]] ||
    die "ringing event refused"
  if wait_notify screenpop "Welcome back Lisa" "$t0"; then
    ((n < WARMUP)) || echo $((EV_US - t0)) >>"$dir/screenpop.us"
  else
    failures=$((failures + 1))
  fi
  [[ $(http POST /v1/events "{\"type\":\"ended\",\"call_id\":\"$call\"}") == 202 ]] ||
    die "ended event refused"
  # The call's own notification is closed by screenpop when it ends.
  while next_event 2 && [[ $EV_MEMBER != CloseNotification ]]; do :; done
}

ring_hook() {
  local n=$1 t0 call="bench-hook-$1"
  t0=${EPOCHREALTIME/./}
  "$screenpop" event ringing --from "$LISA" --call-id "$call" 4<&- >/dev/null ||
    die "screenpop event ringing failed"
  if wait_notify screenpop "Welcome back Lisa" "$t0"; then
    ((n < WARMUP)) || echo $((EV_US - t0)) >>"$dir/hook.us"
  else
    failures=$((failures + 1))
  fi
  "$screenpop" event ended --call-id "$call" 4<&- >/dev/null || die "screenpop event ended failed"
  while next_event 2 && [[ $EV_MEMBER != CloseNotification ]]; do :; done
}

ring_floor() {
  local n=$1 t0
  t0=${EPOCHREALTIME/./}
  notify-send -a bench-floor -u critical "Welcome back Lisa" \
    "Springfield Elementary · VIP · Last order: 2 pepperoni pizzas"
  if wait_notify bench-floor "Welcome back Lisa" "$t0"; then
    ((n < WARMUP)) || echo $((EV_US - t0)) >>"$dir/floor.us"
  else
    failures=$((failures + 1))
  fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "measuring $CALLS calls each (+$WARMUP warm-up): webhook, CLI hook and notify-send in turn"
for ((n = 0; n < WARMUP + CALLS; n++)); do
  case $((n % 3)) in
    0) ring_screenpop "$n"; ring_hook "$n"; ring_floor "$n" ;;
    1) ring_hook "$n"; ring_floor "$n"; ring_screenpop "$n" ;;
    2) ring_floor "$n"; ring_screenpop "$n"; ring_hook "$n" ;;
  esac
  dunstctl close-all
  sleep 0.02
  if (((n + 1) % 50 == 0)); then say "$((n + 1)) / $((WARMUP + CALLS))"; fi
done
after_rss=$(rss)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ---------------------------------------------------------------------------------
# Nearest-rank percentiles of a file of µs values: "count p50_ms p99_ms mean_ms max_ms".
stats() {
  sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
    function rank(p) { r = int(p * NR); if (r < p * NR) r++; return v[r] / 1000 }
    END { if (NR == 0) { print 0, 0, 0, 0, 0; exit }
          printf "%d %.2f %.2f %.2f %.2f\n", NR, rank(0.50), rank(0.99), s / NR / 1000, v[NR] / 1000 }'
}
read -r pop_n pop_p50 pop_p99 pop_mean pop_max < <(stats "$dir/screenpop.us")
read -r floor_n floor_p50 floor_p99 floor_mean floor_max < <(stats "$dir/floor.us")
read -r hook_n hook_p50 hook_p99 hook_mean hook_max < <(stats "$dir/hook.us")
((pop_n > 0 && floor_n > 0)) || die "no latencies recorded ($failures notifications never seen)"
verdict() { awk -v a="$1" -v b="$2" -v max="$3" \
  'BEGIN { r = a / b; printf "%.2fx (target <= %sx: %s)", r, max, (r <= max ? "met" : "MISSED") }'; }
p50_verdict=$(verdict "$pop_p50" "$floor_p50" 1.5)
p99_verdict=$(verdict "$pop_p99" "$floor_p99" 3)
hook_verdict=$(verdict "$hook_p50" "$floor_p50" 1.0)
rss_verdict=$(awk -v m="$idle_rss_mb" 'BEGIN { print (m < 15 ? "met" : "MISSED") }')

cat <<EOF

ring -> Notify on the bus, local hit ($LISA, Lisa, among 1,000 contacts), $pop_n / $hook_n / $floor_n calls
$(nproc) cores, load average $load_before before, $load_after after
                         p50 ms   p99 ms   mean ms   max ms
  notify-send (floor)  $(printf '%8s %8s %9s %8s' "$floor_p50" "$floor_p99" "$floor_mean" "$floor_max")
  screenpop run        $(printf '%8s %8s %9s %8s' "$pop_p50" "$pop_p99" "$pop_mean" "$pop_max")
  screenpop event      $(printf '%8s %8s %9s %8s' "$hook_p50" "$hook_p99" "$hook_mean" "$hook_max")
  ratio p50            $p50_verdict
  ratio p99            $p99_verdict
  hook ratio p50       $hook_verdict
  missing pops         $failures
idle RSS of screenpop run after start-up + ${IDLE_S} s: $idle_rss (target < 15 MB: $rss_verdict)
RSS after the run: $after_rss
EOF
echo "bench-pop: $pop_n calls: screenpop p50 ${pop_p50} ms p99 ${pop_p99} ms vs notify-send" \
  "p50 ${floor_p50} ms p99 ${floor_p99} ms; p50 $p50_verdict, p99 $p99_verdict;" \
  "hook (screenpop event) p50 ${hook_p50} ms p99 ${hook_p99} ms, p50 $hook_verdict;" \
  "idle RSS ${idle_rss_mb} MB ($rss_verdict)"
