#!/usr/bin/env bash
# `make package`: the release build → dist/screenpop_<version>_amd64.deb and
# dist/screenpop-<version>-1.x86_64.rpm, then the checks CI runs on them (lintian,
# desktop-file-validate, appstreamcli validate, systemd-analyze verify, the rpm's file list
# against the deb's).
#
#   scripts/package.sh            build + package + check
#   scripts/package.sh --no-build package what target/<profile>/ holds (CI builds once)
#   PROFILE=release (default)     the cargo profile the binaries come from
#
# Tools: cargo-deb and cargo-generate-rpm (pinned, `scripts/deps.sh package` installs them
# with the Debian tools); nothing here downloads anything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profile=${PROFILE:-release}
target=${CARGO_TARGET_DIR:-$root/target}
# cargo puts the dev profile in target/debug, every other one in target/<profile>.
bin="$target/$([[ $profile == dev ]] && echo debug || echo "$profile")"
stage="$root/dist/.stage"
say() { echo "package.sh: $*"; }

build=true
[[ "${1:-}" == "--no-build" ]] && build=false

if $build; then
  say "building the $profile profile (screenpop, screenpop-desktop, screenpop-window)"
  cargo build --profile "$profile" -p screenpop -p screenpop-desktop
fi
for b in screenpop screenpop-desktop screenpop-window; do
  [[ -x "$bin/$b" ]] || { say "missing $bin/$b (build first, or drop --no-build)" >&2; exit 1; }
done

version=$("$bin/screenpop" --version | awk '{print $2}')
say "screenpop $version"

# Generated from the CLI definition: man pages (gzipped, as Debian wants) and completions.
rm -rf "$stage"
mkdir -p "$stage/man" "$stage/completions" "$stage/doc"
"$bin/screenpop" manpages "$stage/man"
gzip -9n "$stage"/man/*.1
"$bin/screenpop" completions bash > "$stage/completions/screenpop"
"$bin/screenpop" completions zsh > "$stage/completions/_screenpop"
"$bin/screenpop" completions fish > "$stage/completions/screenpop.fish"
gzip -9nc CHANGELOG.md > "$stage/doc/changelog.gz"
# Debian's own changelog is required in every binary package (lintian: no-changelog).
{
  echo "screenpop ($version) unstable; urgency=medium"
  echo
  echo "  * Upstream release $version; see /usr/share/doc/screenpop/changelog.gz."
  echo
  echo " -- The screenpop developers <screenpop@users.noreply.github.com>  $(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$stage/doc/changelog.Debian.gz"

mkdir -p dist
deb="dist/screenpop_${version}_amd64.deb"
rpm="dist/screenpop-${version}-1.x86_64.rpm"
rm -f "$deb" "$rpm"
say "building $deb"
cargo deb -p screenpop --no-build --no-strip --profile "$profile" --output "$deb" \
  --deb-version "$version"
say "building $rpm"
cargo generate-rpm -p . --profile "$profile" --target-dir "$target" -o "$rpm"

scripts/package-check.sh "$deb" "$rpm"
say "done: $deb $rpm"
