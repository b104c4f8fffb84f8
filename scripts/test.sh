#!/bin/sh
# The project's own tests (README "test" command): type check, then jest; ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh || exit 3
mkdir -p reports
# The container images (built offline, about 5 minutes the first time, 0.1 s when present). Without them the
# container tests skip themselves, naming the missing image, so a failed build is reported but not fatal.
if [ "$(id -u)" = 0 ]; then
  node bin/sipwright.js images build >&2 || echo "sipwright: the container images could not be built; the container tests will be skipped" >&2
fi
echo "sipwright: type check…" >&2
node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit || { echo "0 passed, 1 failed"; exit 1; }
rm -f reports/jest-results.json
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js --json --outputFile=reports/jest-results.json "$@"
status=$?
node scripts/jest-summary.js reports/jest-results.json || status=1
exit $status
