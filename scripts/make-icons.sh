#!/usr/bin/env bash
# Renders icons/*.png from the SVG sources in icons/src (rsvg-convert, from librsvg2-bin in
# `scripts/deps.sh desktop`). The PNGs are committed; run this only after editing an SVG.
set -euo pipefail
cd "$(dirname "$0")/../icons"
for state in ok degraded offline dnd; do
  rsvg-convert -w 64 -h 64 "src/tray-$state.svg" -o "tray-$state.png"
done
rsvg-convert -w 512 -h 512 src/app.svg -o icon.png
rsvg-convert -w 256 -h 256 src/app.svg -o 128x128@2x.png
rsvg-convert -w 128 -h 128 src/app.svg -o 128x128.png
rsvg-convert -w 32 -h 32 src/app.svg -o 32x32.png
echo "make-icons.sh: rendered $(ls ./*.png | wc -l) icons"
