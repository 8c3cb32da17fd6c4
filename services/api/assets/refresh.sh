#!/usr/bin/env bash
# Refresh the page's vendored JavaScript from npm: install the locked versions here, then
# copy only the built files the page loads, with every shipped package's licence, into
# services/api/static/vendor/, and axe-core (the browser tests' accessibility check, never
# shipped) into tests/services/api/vendor/. Run after changing package.json; CI needs no
# npm, the copied files are committed.
set -euo pipefail
cd "$(dirname "$0")"
vendor=../static/vendor
tests=../../../tests/services/api/vendor
npm ci --no-audit --no-fund --ignore-scripts
rm -rf "$vendor" "$tests"
mkdir -p "$vendor/licenses" "$tests"
# The "peer" builds: vis-timeline's standalone build injects its CSS as a <style>
# element, which the page's Content-Security-Policy refuses. The peer build bundles the
# small helpers (hammer.js, xss, ...) and takes moment and vis-data as globals.
cp node_modules/moment/min/moment.min.js node_modules/moment/locale/fi.js "$vendor/"
cp node_modules/vis-data/peer/umd/vis-data.min.js "$vendor/"
cp node_modules/vis-timeline/peer/umd/vis-timeline-graph2d.min.js "$vendor/"
cp node_modules/vis-timeline/styles/vis-timeline-graph2d.min.css "$vendor/"
mv "$vendor/fi.js" "$vendor/moment-locale-fi.js"
# moment-timezone without its data, and the data of the one zone the page draws in: the
# time axis is Helsinki's whatever the browser's zone (vis-timeline draws through moment).
cp node_modules/moment-timezone/builds/moment-timezone.min.js "$vendor/"
node -e '
  const data = require("./node_modules/moment-timezone/data/packed/latest.json");
  const zone = data.zones.find((z) => z.startsWith("Europe/Helsinki|"));
  const version = require("./node_modules/moment-timezone/package.json").version;
  console.log(`// Europe/Helsinki from moment-timezone ${version} data/packed/latest.json (tzdata ${data.version})`);
  console.log(`moment.tz.add(${JSON.stringify(zone)});`);' > "$vendor/moment-timezone-helsinki.js"
# ECharts' "common" build: line, bar and scatter charts, mark lines, the aria component
# and the SVG renderer, without the map component (the only part that calls Function()).
cp node_modules/echarts/dist/echarts.common.min.js "$vendor/"
# Ship the licence and notice texts of each package the page loads (dependencies, not
# devDependencies), named after the package and version; ECharts also bundles d3 code.
copy_licences() {  # dir destination
  local dir=$1 to=$2 name version file
  name=$(node -p "require('./${dir}/package.json').name")
  version=$(node -p "require('./${dir}/package.json').version")
  case "$name" in @types/*) return ;; esac
  for file in "$dir"/LICEN[CS]E* "$dir"/NOTICE* "$dir"/licenses/LICENSE*; do
    [ -f "$file" ] || continue
    cp "$file" "$to/${name//\//_}-$version-$(basename "$file")"
  done
}
npm ls --omit=dev --parseable --all | tail -n +2 | while read -r dir; do
  copy_licences "${dir#"$PWD"/}" "$vendor/licenses"
done
cp node_modules/axe-core/axe.min.js "$tests/"
copy_licences node_modules/axe-core "$tests"
ls "$vendor" "$vendor/licenses" "$tests"
