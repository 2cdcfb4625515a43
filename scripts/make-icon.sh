#!/usr/bin/env bash
# Draws the application icon (two speech bubbles on a rounded blue square) with ImageMagick and
# writes assets/icon-256.png, assets/icon.png (512 px) and assets/icon.ico (16-256 px).
# Needs ImageMagick (`apt-get install -y imagemagick`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets
mkdir -p "$out"
# ImageMagick 7 calls it `magick`; Debian's 6 also installs `convert-im6.q16`.
convert=$(command -v magick || command -v convert-im6.q16 || command -v convert)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Drawn at 1024 px and scaled down, so edges stay smooth.
"$convert" -size 1024x1024 xc:none \
  \( -size 1024x1024 gradient:'#3b82f6-#1e3a8a' \) \
  \( -size 1024x1024 xc:none -fill white -draw 'roundrectangle 40,40 984,984 210,210' \) \
  -compose over -delete 0 -compose copy_opacity -composite \
  "$tmp/base.png"
"$convert" "$tmp/base.png" \
  -fill '#dbeafe' -stroke none \
  -draw 'roundrectangle 170,220 700,600 90,90' \
  -draw 'polygon 260,580 250,720 400,590' \
  -fill white \
  -draw 'roundrectangle 360,420 860,780 90,90' \
  -draw 'polygon 760,760 790,880 650,770' \
  -fill '#1e3a8a' \
  -draw 'circle 480,600 480,638' \
  -draw 'circle 610,600 610,638' \
  -draw 'circle 740,600 740,638' \
  "$tmp/icon-1024.png"
"$convert" "$tmp/icon-1024.png" -resize 512x512 -strip "$out/icon.png"
"$convert" "$tmp/icon-1024.png" -resize 256x256 -strip "$out/icon-256.png"
"$convert" "$tmp/icon-1024.png" -define icon:auto-resize=256,64,48,32,16 "$out/icon.ico"
ls -l "$out"/icon*
