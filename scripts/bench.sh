#!/bin/sh
# Benchmarks (bench/): build, then run. Usage: npm run bench -- [analyze|fuzz|suites] [options]
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
node node_modules/typescript/bin/tsc -p tsconfig.build.json
# The first word names the benchmark; options alone (npm run bench -- --messages 1000) mean analyze.
what=analyze
case "${1:-}" in
  -*|'') ;;
  *) what=$1; shift ;;
esac
# bench/ also holds helpers (make-capture, floor): only these are benchmarks.
case "$what" in
  analyze|fuzz|suites) ;;
  *)
    echo "bench: no benchmark named \"$what\"; there are: analyze, fuzz, suites (npm run bench -- analyze --messages 200000)" >&2
    exit 2 ;;
esac
exec node "dist/bench/$what.js" "$@"
