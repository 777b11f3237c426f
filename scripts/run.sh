#!/usr/bin/env bash
# Runs screenpop in the current desktop session — the desktop app (tray, greeting card, call
# log) by default; the headless daemon with SCREENPOP_HEADLESS=1 or without a display — first
# making sure that session can serve it: a D-Bus session bus, an unlocked Secret Service (credentials live in the
# keyring) and a notification daemon. Whatever it has to start, it says so. On first run it
# loads the demo contacts, so a simulated call pops a known customer.
#
# Headless: dbus-run-session -- xvfb-run -a scripts/run.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# `make install` puts the binary here; it may not be on PATH yet in a fresh shell.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { echo "run.sh: $*"; }

if ! command -v screenpop >/dev/null; then
  say "screenpop is not installed: run \`make install\` (or \`make run\`) first" >&2
  exit 1
fi

# --- D-Bus session bus -------------------------------------------------------------------
if [[ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  if [[ -n "${XDG_RUNTIME_DIR:-}" && -S "$XDG_RUNTIME_DIR/bus" ]]; then
    export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"
  else
    cat >&2 <<'EOF'
run.sh: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset and there is no
        $XDG_RUNTIME_DIR/bus). screenpop shows notifications and keeps credentials over it.
        Run it from a desktop session, or give it a private one:
            dbus-run-session -- scripts/run.sh
        and without a screen, with a virtual display too:
            dbus-run-session -- xvfb-run -a scripts/run.sh
EOF
    exit 1
  fi
fi

has_owner() {
  dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q true
}

wait_for_owner() {
  for _ in $(seq 100); do
    has_owner "$1" && return 0
    sleep 0.05
  done
  return 1
}

# --- Secret Service ----------------------------------------------------------------------
# NameHasOwner, not a secret-tool call: on a locked keyring secret-tool may wait for a
# password prompt that nobody can answer here.
if ! has_owner org.freedesktop.secrets; then
  # The login keyring is created with, or unlocked by, this password (empty by default).
  printf '%s' "${SCREENPOP_KEYRING_PASSWORD:-}" |
    gnome-keyring-daemon --unlock --components=secrets >/dev/null
  if ! wait_for_owner org.freedesktop.secrets; then
    say "started gnome-keyring-daemon, but it did not take org.freedesktop.secrets" >&2
    exit 1
  fi
  say "no Secret Service was running: started gnome-keyring-daemon and unlocked the login"
  say "keyring (password from SCREENPOP_KEYRING_PASSWORD, empty if unset)"
fi

# --- Notification daemon -----------------------------------------------------------------
if ! has_owner org.freedesktop.Notifications; then
  if [[ -n "${DISPLAY:-}" ]]; then
    dunst >/dev/null 2>&1 &
    if ! wait_for_owner org.freedesktop.Notifications; then
      say "started dunst, but it did not take org.freedesktop.Notifications" >&2
      exit 1
    fi
    say "no notification daemon was running: started dunst (pid $!) on $DISPLAY"
  else
    say "warning: no notification daemon and no DISPLAY, so pops cannot be shown;" >&2
    say "         run from a desktop, or under \`xvfb-run -a\`" >&2
  fi
fi

# --- Demo contacts, once -----------------------------------------------------------------
contacts=$(screenpop contacts list --json)
if [[ "$(tr -d '[:space:]' <<<"$contacts")" == "[]" ]]; then
  demo="$root/fixtures/demo-contacts.csv"
  if [[ -f "$demo" ]]; then
    screenpop contacts import "$demo"
    say "no contacts yet: imported the demo contacts from fixtures/demo-contacts.csv"
  else
    say "no contacts yet, and $demo is missing: starting with an empty directory" >&2
  fi
fi

say "simulate a call from another terminal:  screenpop event ringing --from 555-1234"
if [[ "${SCREENPOP_HEADLESS:-0}" == 1 ]]; then
  exec screenpop run
fi
if [[ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  say "no DISPLAY or WAYLAND_DISPLAY: running the headless daemon instead of the desktop app" >&2
  exec screenpop run
fi
if ! command -v screenpop-desktop >/dev/null; then
  say "screenpop-desktop is not installed (\`make install\`): running the headless daemon" >&2
  exec screenpop run
fi
say "starting the desktop app (close the window to keep it in the tray; Quit from the tray)"
exec screenpop-desktop "$@"
