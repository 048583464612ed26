#!/usr/bin/env bash
# Prints the path of a Go command that can build the test-only Kubernetes binaries
# (test/rig/build-k8s.sh: Kubernetes 1.36 and helm 4.3 need go >= 1.26), installing one when the
# machine has none. Only the registries this project reaches are used:
#   1. $GO, else `go` on PATH, else /usr/local/go/bin/go, when it is go >= 1.26: used as it is
#      (the project's machine has go1.26.8 at /usr/local/go).
#   2. Else the pinned toolchain, go1.26.8, as the Go module proxy serves it: the module
#      golang.org/toolchain@v0.0.1-go1.26.8.linux-amd64 (what `GOTOOLCHAIN=go1.26.8` downloads),
#      fetched with `go mod download` into $PETREL_CACHE/go/mod (build-k8s.sh's module cache) and
#      checked against the checksum database through the proxy, as every module is.
#      The `go mod download` needs some Go first: Debian 12's golang-go (1.19) is enough for
#      that, and it is installed with apt-get when no Go at all is there. (1.19 predates
#      GOTOOLCHAIN, which came with 1.21: `GOTOOLCHAIN=go1.26.8 go version` does not work with it.)
#
#   test/scripts/go-toolchain.sh           print the go command's path (stdout), installing if needed
#   test/scripts/go-toolchain.sh --check   print what would be used or installed; install nothing
#                                          (exit 0: usable Go found; 3: it would install)
#
# Progress and decisions go to stderr; stdout is the path only.
set -euo pipefail

GO_VERSION=go1.26.8     # the pinned toolchain; go >= $GO_MIN is accepted as it is
GO_MIN_MINOR=26
cache="${PETREL_CACHE:-/var/cache/petrel}"
modcache="$cache/go/mod"
module="golang.org/toolchain@v0.0.1-$GO_VERSION.linux-amd64"
toolchain="$modcache/$module"
check=0
[ "${1:-}" = --check ] && check=1

log() { echo "go-toolchain.sh: $*" >&2; }

# "go1.26.8" from `go version`, or nothing.
go_version() { "$1" version 2>/dev/null | awk '{print $3}'; }
usable() {
  local v
  v=$(go_version "$1")
  [[ $v =~ ^go1\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$GO_MIN_MINOR" ]
}

candidates=()
[ -n "${GO:-}" ] && candidates+=("$GO")
on_path=$(command -v go || true)
[ -n "$on_path" ] && candidates+=("$on_path")
candidates+=(/usr/local/go/bin/go "$toolchain/bin/go")
for c in "${candidates[@]}"; do
  if [ -x "$c" ] && usable "$c"; then
    log "using $c ($(go_version "$c"))"
    [ "$check" -eq 1 ] || echo "$c"
    exit 0
  fi
done

# Some Go, of any version, to run `go mod download` with.
bootstrap=""
for c in "${candidates[@]}" /usr/lib/go-1.19/bin/go; do
  if [ -x "$c" ] && [ -n "$(go_version "$c")" ]; then bootstrap=$c; break; fi
done
seen=""
for c in "${candidates[@]}"; do [ -x "$c" ] && seen="$seen $c ($(go_version "$c"))"; done
if [ "$check" -eq 1 ]; then
  log "no Go >= 1.$GO_MIN_MINOR found (looked at: \$GO, go on PATH, /usr/local/go/bin/go, $toolchain/bin/go)${seen:+; too old:$seen}"
  if [ -z "$bootstrap" ]; then
    log "would install: Debian's golang-go (apt-get), then $GO_VERSION from the Go module proxy ($module) into $modcache"
  else
    log "would install: $GO_VERSION from the Go module proxy ($module) into $modcache, downloaded with $bootstrap"
  fi
  exit 3
fi

if [ -z "$bootstrap" ]; then
  [ "$(id -u)" -eq 0 ] || { log "no Go at all, and installing Debian's golang-go needs root (apt-get)"; exit 1; }
  log "no Go found: installing Debian's golang-go (go 1.19) to download $GO_VERSION with"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go ca-certificates >/dev/null
  bootstrap=/usr/lib/go-1.19/bin/go
  [ -x "$bootstrap" ] || bootstrap=$(command -v go)
fi

log "downloading $GO_VERSION from the Go module proxy ($module, about 70 MB; usually well under a minute) with $bootstrap ($(go_version "$bootstrap"))"
mkdir -p "$modcache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS
# Outside any module, with nothing of the machine's Go settings but the proxy; GOTOOLCHAIN=local
# keeps a newer bootstrap from switching toolchains itself.
(cd "$work" && env -u GOFLAGS GOMODCACHE="$modcache" GOPATH="$work/gopath" GOTOOLCHAIN=local GO111MODULE=on \
  "$bootstrap" mod download -json "$module" >"$work/download.json") &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -0 "$pid" 2>/dev/null && log "still downloading $GO_VERSION ($((SECONDS - started)) s elapsed)"
done
if ! wait "$pid"; then
  cat "$work/download.json" >&2 || true
  log "go mod download $module failed: is the Go module proxy reachable (GOPROXY=${GOPROXY:-default})?"
  exit 1
fi
# The module cache keeps files read-only and without execute bits; the go command sets them on
# the toolchains it downloads itself (cmd/go/internal/toolchain), and so does this.
chmod a+x "$toolchain"/bin/* "$toolchain"/pkg/tool/linux_amd64/*
usable "$toolchain/bin/go" || { log "$toolchain/bin/go does not run as $GO_VERSION: $("$toolchain/bin/go" version 2>&1)"; exit 1; }
log "installed $("$toolchain/bin/go" version | awk '{print $3}') at $toolchain/bin/go in $((SECONDS - started)) s"
echo "$toolchain/bin/go"
