#!/usr/bin/env bash
# The demo (README: `npm run demo`): a real Kubernetes cluster on this machine — N kubelet nodes
# with containerd and kube-proxy, Petrel installed by `helm install` from helm/petrel with images
# built here, a Deployment spread over the nodes, a ping matrix between its pods and
# `petrelctl ipam check` (see test/scripts/demo.ts).
#   npm run demo                    bring it up and keep it running in the foreground
#   npm run demo -- once            bring it up, show everything, tear it down
#                                   (exit status 0: every ping answered and ipam check passed)
#   npm run demo -- down            tear down a running demo
#   options: --nodes N (default 3), --tor (BIRD as a top-of-rack router),
#            --netns-nodes (the first demo: namespace nodes and pods, no kubelet, no helm)
# Builds only what the demo runs: the Petrel executables, and of the test-only Kubernetes
# binaries `build-k8s.sh --only demo` (no e2e.test, agnhost or CoreDNS).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then echo "the demo needs root (network namespaces, containerd, kubelet)" >&2; exit 1; fi
mode=up
group=demo
for arg in "$@"; do
  case "$arg" in
    up | once | down) mode=$arg ;;
    --netns-nodes) group=rig ;;   # KubeRig checks the rig's seven binaries
  esac
done
bash test/scripts/install-deps.sh
export PATH="$PWD/node_modules/.bin:$PATH"
# Bad flags fail here, before minutes of building (exit 2 and the usage line).
PETREL_DEMO_PARSE_ONLY=1 node test/scripts/demo.ts "$@"
if [ "$mode" != down ]; then
  . test/scripts/progress.sh
  node test/scripts/build.ts
  echo "== test-only Kubernetes binaries the demo runs: build-k8s.sh --only $group (pinned, cached in ${PETREL_CACHE:-/var/cache/petrel})"
  GO="$(bash test/scripts/go-toolchain.sh)" with_progress "building the demo's Kubernetes binaries" "~11 min cold on 2 cores, under a second warm" \
    bash test/rig/build-k8s.sh --only "$group" >/dev/null
fi
exec node test/scripts/demo.ts "$@"
