#!/bin/sh
# Benchmarks (bench/): build, then run. Usage: npm run bench -- [analyze|fuzz] [options]
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
node node_modules/typescript/bin/tsc -p tsconfig.build.json
what=${1:-analyze}; [ $# -gt 0 ] && shift
exec node "dist/bench/$what.js" "$@"
