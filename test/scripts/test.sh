#!/usr/bin/env bash
# The whole test suite (README: `npm test`): installs what it needs, builds, lints, then runs the
# unit tests and the privileged tests (real network namespaces, real runtimes: run as root).
# Ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "npm test needs root: the privileged tests create network namespaces and veth pairs" >&2
  exit 1
fi
bash test/scripts/install-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"   # the pinned Node 24, not the machine's

. test/scripts/progress.sh
echo "== build"; node test/scripts/build.ts
echo "== test-only Kubernetes binaries, e2e.test, CoreDNS (pinned, cached in ${PETREL_CACHE:-/var/cache/petrel})"
GO="$(bash test/scripts/go-toolchain.sh)" with_progress "building the test-only Kubernetes binaries, e2e.test and CoreDNS" "~30 min cold on 2 cores, under a second warm" \
  bash test/rig/build-k8s.sh >/dev/null
# Two commands, not `a && b`: set -e does not stop on a failure inside an && list.
echo "== lint"
eslint .
tsc -p tsconfig.json --noEmit
echo "== tests"
mkdir -p test-results
status=0
jest --runInBand --json --outputFile=test-results/jest.json "$@" || status=$?
node -e '
  const r = require("./test-results/jest.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
  if (r.numTotalTests === 0) { console.log("no test ran"); process.exit(1); }
' || status=1
exit "$status"
