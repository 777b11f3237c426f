#!/usr/bin/env bash
# Checks built packages the way CI does: lintian (no errors; warnings fixed or overridden
# in packaging/lintian-overrides with a reason), desktop-file-validate, appstreamcli
# validate, systemd-analyze verify of the user unit against the unpacked package, and the
# rpm's file list (`rpm -qlp`) equal to the deb's.
#
#   scripts/package-check.sh dist/screenpop_<v>_amd64.deb dist/screenpop-<v>-1.x86_64.rpm
set -euo pipefail
deb=$1
rpm=$2
say() { echo "package-check: $*"; }
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then
    say "ok   $name"
    passed=$((passed + 1))
  else
    say "FAIL $name"
    failed=$((failed + 1))
  fi
}

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"

lintian_clean() {
  # --fail-on error: warnings are reported (and should be overridden with a reason).
  lintian --fail-on error --tag-display-limit 0 "$deb"
}
check lintian lintian_clean
check desktop-file-validate desktop-file-validate "$unpacked/usr/share/applications/screenpop.desktop"
check "appstreamcli validate" appstreamcli validate --no-net \
  "$unpacked"/usr/share/metainfo/org.screenpop.screenpop.metainfo.xml

unit_verifies() {
  # The unit as installed, with ExecStart pointing into the unpacked tree (so the binary it
  # names is the package's own; `--root` does not combine with `--user`). systemd-analyze
  # exits 0 on unknown keys and bad values, only warning: any word from it fails the check.
  # --man=no: man(1) cannot look into the tree; the pages' presence is checked directly.
  local unit="$unpacked/usr/lib/systemd/user/screenpop.service"
  local scratch out
  scratch=$(mktemp -d)
  mkdir -p "$scratch/runtime" "$scratch/unit"
  sed "s|^ExecStart=/usr/bin/|ExecStart=$unpacked/usr/bin/|" "$unit" >"$scratch/unit/screenpop.service"
  out=$(XDG_RUNTIME_DIR=$scratch/runtime systemd-analyze verify --user --man=no \
          "$scratch/unit/screenpop.service" 2>&1) || { echo "$out"; rm -rf "$scratch"; return 1; }
  rm -rf "$scratch"
  [[ -z "$out" ]] || { echo "$out"; return 1; }
  for page in screenpop screenpop-run; do
    [[ -f "$unpacked/usr/share/man/man1/$page.1.gz" ]] || { echo "no man page $page(1)"; return 1; }
  done
}
check "systemd-analyze verify" unit_verifies

same_files() {
  diff <(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^/$' \
           | while read -r p; do [[ -d "$unpacked$p" ]] || echo "$p"; done | sort) \
       <(rpm -qlp "$rpm" 2>/dev/null | sort)
}
check "rpm -qlp = the deb's files" same_files

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
