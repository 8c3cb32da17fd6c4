#!/usr/bin/env bash
# Refresh the page's vendored JavaScript from npm: install the locked versions here, then
# copy only the built files the page loads, with every installed package's licence, into
# services/api/static/vendor/. Run after changing package.json; CI needs no npm, the
# copied files are committed.
set -euo pipefail
cd "$(dirname "$0")"
vendor=../static/vendor
npm ci --no-audit --no-fund --ignore-scripts
rm -rf "$vendor"
mkdir -p "$vendor/licenses"
# The "peer" builds: vis-timeline's standalone build injects its CSS as a <style>
# element, which the page's Content-Security-Policy refuses. The peer build bundles the
# small helpers (hammer.js, xss, ...) and takes moment and vis-data as globals.
cp node_modules/moment/min/moment.min.js node_modules/moment/locale/fi.js "$vendor/"
cp node_modules/vis-data/peer/umd/vis-data.min.js "$vendor/"
cp node_modules/vis-timeline/peer/umd/vis-timeline-graph2d.min.js "$vendor/"
cp node_modules/vis-timeline/styles/vis-timeline-graph2d.min.css "$vendor/"
mv "$vendor/fi.js" "$vendor/moment-locale-fi.js"
# Ship each installed package's licence text, named after the package and version.
for dir in node_modules/*/ node_modules/@*/*/; do
  [ -f "$dir/package.json" ] || continue
  name=$(node -p "require('./${dir}package.json').name")
  version=$(node -p "require('./${dir}package.json').version")
  case "$name" in @types/*) continue ;; esac
  for licence in "$dir"/LICEN[CS]E*; do
    [ -f "$licence" ] || continue
    cp "$licence" "$vendor/licenses/${name//\//_}-$version-$(basename "$licence")"
  done
done
ls "$vendor" "$vendor/licenses"
