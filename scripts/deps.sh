#!/usr/bin/env bash
# Installs the Debian packages screenpop needs, by group; a no-op (no apt, no sudo) when
# everything is already there, so `make run` and `make test` can call it every time.
#
#   scripts/deps.sh [run|test|desktop|e2e]...   (default: run)
#
#   run      build and run the daemon: D-Bus headers, SQLite, dunst, gnome-keyring, xdg-utils
#   test     run + a headless session (Xvfb), screenshots, baresip, mosquitto, sipp, openssl
#            (test TLS certificates), slapd (LDAP), and Radicale (CardDAV, from PyPI into a
#            venv under ${XDG_CACHE_HOME:-$HOME/.cache}/screenpop-test/venv)
#   desktop  the Tauri window: WebKitGTK, rsvg, WebKitWebDriver
#   fuzz     the nightly toolchain (minimal) and cargo-fuzz, for scripts/fuzz.sh
#   bench    python3-venv, for the Python peers of the benchmarks (scripts/bench-ami.sh)
#   e2e      test + desktop + tauri-driver (cargo install, pinned) for the desktop e2e suite
#   package  desktop + the packaging tools: cargo-deb and cargo-generate-rpm (cargo install,
#            pinned) and the checkers lintian, desktop-file-validate, appstreamcli, rpm,
#            systemd-analyze, dpkg-shlibdeps (`make package`)
set -euo pipefail

# Rust tools, not Debian packages: installed with rustup and cargo, each only when missing.
fuzz_tools() {
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "deps.sh: installing the nightly toolchain (for cargo-fuzz)"
    rustup toolchain install nightly --profile minimal || return 1
  fi
  if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "deps.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked || return 1
  fi
}

# The packaging tools `make package` runs, at the versions it was written against.
cargo_deb_version=3.8.0
cargo_generate_rpm_version=0.21.1
package_tools() {
  if [[ "$(cargo deb --version 2>/dev/null)" != *"$cargo_deb_version"* ]]; then
    echo "deps.sh: installing cargo-deb $cargo_deb_version"
    cargo install cargo-deb --version "$cargo_deb_version" --locked || return 1
  fi
  if [[ "$(cargo generate-rpm --version 2>/dev/null)" != *"$cargo_generate_rpm_version"* ]]; then
    echo "deps.sh: installing cargo-generate-rpm $cargo_generate_rpm_version"
    cargo install cargo-generate-rpm --version "$cargo_generate_rpm_version" --locked || return 1
  fi
}

if [[ " $* " == *" fuzz "* ]]; then
  fuzz_tools || { echo "deps.sh: could not install the fuzz tools" >&2; exit 1; }
  set -- $(printf '%s\n' "$@" | grep -vx fuzz)
  [[ $# -eq 0 ]] && { echo "deps.sh: fuzz tools are installed"; exit 0; }
fi

run=(libdbus-1-dev pkg-config sqlite3 dunst libnotify-bin gnome-keyring libsecret-tools
  dbus-x11 xdg-utils)
test=("${run[@]}" xvfb xauth imagemagick x11-utils procps baresip-core mosquitto
  mosquitto-clients sip-tester openssl slapd ldap-utils python3-venv libglib2.0-bin)
desktop=(libwebkit2gtk-4.1-dev build-essential file libxdo-dev libssl-dev
  librsvg2-dev webkit2gtk-driver)
bench=(python3 python3-venv)
package=(lintian desktop-file-utils appstream rpm systemd dpkg-dev)

# tauri-driver bridges WebDriver to WebKitWebDriver; the version the suite was written against.
tauri_driver_version=2.1.0
want_driver=false
want_package_tools=false

wanted=()
for group in "${@:-run}"; do
  case "$group" in
    run) wanted+=("${run[@]}") ;;
    test) wanted+=("${test[@]}") ;;
    desktop) wanted+=("${desktop[@]}") ;;
    bench) wanted+=("${bench[@]}") ;;
    package)
      wanted+=("${desktop[@]}" "${package[@]}")
      want_package_tools=true
      ;;
    e2e)
      wanted+=("${test[@]}" "${desktop[@]}")
      want_driver=true
      ;;
    *)
      echo "deps.sh: unknown group '$group' (expected run, test, desktop, e2e, bench, package or fuzz)" >&2
      exit 2
      ;;
  esac
done

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" && " ${missing[*]} " != *" $package "* ]]; then
    missing+=("$package")
  fi
done

# Radicale (the CardDAV server the connector tests run) comes from PyPI, into its own venv.
radicale() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/screenpop-test/venv"
  if [[ -x "$venv/bin/radicale" ]]; then
    return
  fi
  echo "deps.sh: installing Radicale into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'radicale>=3.1,<4'
}
wants_radicale=false
for group in "${@:-run}"; do
  [[ "$group" == test || "$group" == e2e ]] && wants_radicale=true
done

install_driver() {
  $want_driver || return 0
  local bin="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
  if command -v tauri-driver >/dev/null || [[ -x "$bin" ]]; then
    return 0
  fi
  echo "deps.sh: installing tauri-driver $tauri_driver_version (cargo install)"
  cargo install tauri-driver --version "$tauri_driver_version" --locked --quiet
}

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "deps.sh: all packages for '${*:-run}' are installed"
  if $wants_radicale; then radicale; fi
  install_driver
  if $want_package_tools; then package_tools; fi
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "deps.sh: missing ${missing[*]}, and not root and no sudo to install them" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}"
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
"${apt[@]}" update -qq
"${apt[@]}" install -y --no-install-recommends "${missing[@]}"
echo "deps.sh: installed ${missing[*]}"
if $wants_radicale; then radicale; fi
install_driver
if $want_package_tools; then package_tools; fi
