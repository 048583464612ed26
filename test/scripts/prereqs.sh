#!/usr/bin/env bash
# The prerequisite checks of the README's two commands (`npm run demo`, `npm test`), run by
# install-deps.sh before it installs anything: what this machine has, what would be installed,
# and what cannot be, each on one line, so that a fresh machine says exactly what is missing.
#
#   test/scripts/prereqs.sh    exit 0: everything is there; 3: install-deps.sh would install
#                              the lines marked "install"; 1: a line marked "MISSING" needs a
#                              person (root, disk space, an OS without apt)
#
# Environment: PETREL_CACHE (default /var/cache/petrel), PETREL_DEBIAN_PACKAGES (the package
# list, set by install-deps.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."

cache="${PETREL_CACHE:-/var/cache/petrel}"
status=0
say() { printf '  %-9s %s\n' "$1" "$2" >&2; }
blocked() { say MISSING "$1"; status=1; }
would() { say install "$1"; [ "$status" -eq 1 ] || status=3; }

echo "prerequisites (test/scripts/prereqs.sh):" >&2

# Root: apt-get, network namespaces, veth pairs, mounts.
if [ "$(id -u)" -eq 0 ]; then say ok "running as root"; else blocked "root: run as root (apt-get installs packages; the tests and the demo create network namespaces)"; fi

# The OS: the scripts use apt and Debian 12's package names.
os_id=$(. /etc/os-release 2>/dev/null && echo "${ID:-?} ${VERSION_ID:-?}")
case "$os_id" in
  "debian 12") say ok "Debian 12" ;;
  *) say warning "this is \"$os_id\", not Debian 12: package names and versions may differ" ;;
esac
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || blocked "apt-get and dpkg-query: this needs a Debian-based system"

# Disk: a cold build of the test-only Kubernetes binaries keeps ~6 GB of Go caches and ~0.5 GB
# of binaries under $PETREL_CACHE (docs/k8s-rig.md), the images' rootfs and archives ~1.5 GB, the
# Go toolchain ~0.3 GB; the checkout needs ~1 GB (node_modules, dist).
free_gib() {
  local d=$1
  while [ ! -d "$d" ]; do d=$(dirname "$d"); done
  df -Pk "$d" | awk 'NR == 2 { printf "%d", $4 / 1048576 }'
}
stamps=$(ls "$cache"/k8s-*/bin/.kube-apiserver.version 2>/dev/null | sed -n 1p)
need_cache=3
[ -n "$stamps" ] || need_cache=12
have=$(free_gib "$cache")
if [ "$have" -ge "$need_cache" ]; then say ok "disk: $have GiB free for $cache (needs $need_cache GiB)"; else blocked "disk: $have GiB free for $cache, needs $need_cache GiB$([ -n "$stamps" ] || echo " (the Kubernetes binaries are not built yet)"): free some, or set PETREL_CACHE to a bigger filesystem"; fi
have_repo=$(free_gib "$PWD")
if [ "$have_repo" -ge 2 ]; then say ok "disk: $have_repo GiB free for the checkout (needs 2 GiB)"; else blocked "disk: $have_repo GiB free for the checkout $PWD, needs 2 GiB"; fi

# Debian packages.
missing=()
for p in ${PETREL_DEBIAN_PACKAGES:-}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -z "${PETREL_DEBIAN_PACKAGES:-}" ]; then say warning "Debian packages: no list given (install-deps.sh passes it)"
elif [ "${#missing[@]}" -eq 0 ]; then say ok "Debian packages: all $(wc -w <<<"$PETREL_DEBIAN_PACKAGES") there"
else would "Debian packages (apt-get): ${missing[*]}"; fi

# npm: only to bootstrap; `npm install` brings the pinned Node 24 and Bun from the npm registry.
if command -v npm >/dev/null; then
  say ok "npm $(npm --version 2>/dev/null) (bootstraps the pinned Node 24 from package-lock.json)"
else
  would "npm (Debian's npm, to bootstrap the pinned Node 24 from the npm registry)"
fi
if [ -x node_modules/.bin/node ] && [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  say ok "npm packages installed (node_modules, Node $(node_modules/.bin/node --version))"
else
  would "npm packages from package-lock.json (npm install: Node 24, Bun, the libraries)"
fi

# Go, for the test-only Kubernetes binaries.
if go_line=$(bash test/scripts/go-toolchain.sh --check 2>&1); then
  say ok "Go: ${go_line#go-toolchain.sh: using }"
else
  rc=$?
  if [ "$rc" -eq 3 ]; then
    would "Go: $(sed -n 's/^go-toolchain.sh: would install: //p' <<<"$go_line") ($(sed -n 's/^go-toolchain.sh: \(no Go.*\)/\1/p' <<<"$go_line" | cut -d'(' -f1 | sed 's/ *$//'))"
  else
    blocked "Go: $go_line"
  fi
fi
exit "$status"
