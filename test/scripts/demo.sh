#!/usr/bin/env bash
# The demo (README: `npm run demo`): a real API server, the controller, 3 nodes with gobgpd and
# the agent, BIRD as top-of-rack router, 6 pods, and a ping matrix (see test/scripts/demo.ts).
#   npm run demo          bring it up and keep it running in the foreground
#   npm run demo -- once  bring it up, show everything, tear it down (exit status: all pings ok)
#   npm run demo -- down  tear down a running demo
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then echo "the demo needs root (network namespaces)" >&2; exit 1; fi
bash test/scripts/install-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
if [ "${1:-up}" != down ]; then
  . test/scripts/progress.sh
  node test/scripts/build.ts
  echo "== test-only Kubernetes binaries (pinned, cached in ${PETREL_CACHE:-/var/cache/petrel})"
  GO="$(bash test/scripts/go-toolchain.sh)" with_progress "building the test-only Kubernetes binaries" "~17 min cold, under a second warm" \
    bash test/rig/build-k8s.sh >/dev/null
fi
exec node test/scripts/demo.ts "${1:-up}"
