#!/usr/bin/env bash
# The demo (README: `npm run demo`). Today: one "node" network namespace with three pods wired
# by the Petrel CNI plugin, their addresses, routes and a ping matrix. The multi-node demo with
# a real API server, BGP and a top-of-rack router arrives with the agent (issue 4).
#   npm run demo          bring it up and leave it running
#   npm run demo -- down  tear it down
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then echo "the demo needs root (network namespaces)" >&2; exit 1; fi
bash test/scripts/install-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
[ "${1:-up}" = down ] || node test/scripts/build.ts
exec node test/scripts/demo.ts "${1:-up}"
