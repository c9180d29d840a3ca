#!/bin/sh
# Build step: installs the hls.js pinned in package-lock.json with `npm ci` into a private folder of
# the build directory and copies its minified bundle to OUTPUT, which GResource compiles into the
# binary as /org/estuary/player/hls.min.js. Nothing is fetched at run time, and nothing lands in
# the source tree.
# Usage: bundle-hls.sh NPM WORKDIR OUTPUT package.json package-lock.json
set -eu
npm=$1 work=$2 output=$3 manifest=$4 lock=$5
case $output in /*) ;; *) output=$(pwd)/$output ;; esac
case $work in /*) ;; *) work=$(pwd)/$work ;; esac
mkdir -p "$work"
cp "$manifest" "$work/package.json"
cp "$lock" "$work/package-lock.json"
cd "$work"
"$npm" ci --ignore-scripts --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1 || {
  cat npm-ci.log >&2
  echo "bundle-hls.sh: npm ci failed (is the npm registry reachable?)" >&2
  exit 1
}
cp "$work/node_modules/hls.js/dist/hls.min.js" "$output"
