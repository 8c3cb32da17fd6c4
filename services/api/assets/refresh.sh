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
cp node_modules/vis-timeline/standalone/umd/vis-timeline-graph2d.min.js "$vendor/"
cp node_modules/vis-timeline/styles/vis-timeline-graph2d.min.css "$vendor/"
# The standalone bundle includes its dependencies (moment, hammer.js, vis-data, ...):
# ship each installed package's licence text, named after the package and version.
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
