#!/usr/bin/env bash
# test/rig/build-k8s.sh: builds the test-only Kubernetes binaries that the rig runs
# (kube-apiserver, kubectl, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, etcd,
# helm) and what the upstream networking conformance run needs (e2e.test, agnhost, CoreDNS) from
# the Go module proxy, at the versions pinned in test/rig/versions.ts, into a cache directory
# outside the repository.
#
#   test/rig/build-k8s.sh [--only NAME,...] [--force] [--prune-go-cache]
#
#   --only NAME,...    build only these binaries (and check only these); NAME is a binary
#                      (kube-apiserver, kubectl, kube-controller-manager, kube-scheduler, kubelet,
#                      kube-proxy, agnhost, e2e.test, etcd, helm, coredns) or a group:
#                        rig   the seven every rig test needs: kube-apiserver, kubectl,
#                              kube-controller-manager, kube-scheduler, kubelet, etcd, helm
#                        demo  what `npm run demo` runs: rig + kube-proxy (~11 min cold, no e2e.test)
#                        all   everything (the default; `npm test`)
#   --force            rebuild even when the binaries for these versions exist
#   --prune-go-cache   after building, delete the Go module and build caches this script
#                      keeps under $PETREL_CACHE/go (saves ~GBs; the next cold build downloads again)
#
# Environment:
#   PETREL_CACHE         cache root (default /var/cache/petrel); binaries go to
#                        $PETREL_CACHE/k8s-<kubernetes version>/bin
#   PETREL_K8S_VERSION   override the pinned Kubernetes version (v1.Y.Z)
#   PETREL_ETCD_VERSION  override the pinned etcd version (v3.Y.Z)
#   PETREL_HELM_VERSION  override the pinned helm version (v4.Y.Z)
#   PETREL_COREDNS_VERSION override the pinned CoreDNS version (v1.Y.Z)
#   GO                   the go command (default: go on PATH, else /usr/local/go/bin/go)
#
# How: a generated wrapper go.mod requires k8s.io/kubernetes vX.Y.Z and replaces every k8s.io
# staging module (the `v0.0.0` requirements / `./staging` replacements of the published go.mod)
# with v0.Y.Z; the commands are listed as `tool`s so `go mod tidy` resolves their dependencies.
# etcd builds from a second wrapper module around go.etcd.io/etcd/server/v3 (its root package is
# the etcd main), helm and CoreDNS from wrappers of their own. e2e.test is `go test -c
# k8s.io/kubernetes/test/e2e` in the Kubernetes wrapper; agnhost (test/images/agnhost) is a tool
# of it like the commands. Everything is built with CGO_ENABLED=0 under `nice -n 10`; a line on
# stderr every 30 s says what is being built and for how long.
#
# Prints timings and disk use on stderr, and the bin directory as the only line on stdout.
# A warm run (all binaries present for the pinned versions) does no Go work and takes well
# under a second. Nothing is written inside the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pinned() { sed -n "s/^export const $1 = \"\(v[0-9.]*\)\";\$/\1/p" "$here/versions.ts"; }
K8S_VERSION="${PETREL_K8S_VERSION:-$(pinned K8S_VERSION)}"
ETCD_VERSION="${PETREL_ETCD_VERSION:-$(pinned ETCD_VERSION)}"
HELM_VERSION="${PETREL_HELM_VERSION:-$(pinned HELM_VERSION)}"
COREDNS_VERSION="${PETREL_COREDNS_VERSION:-$(pinned COREDNS_VERSION)}"
# Main packages of k8s.io/kubernetes built from the wrapper module: the commands, and agnhost.
k8s_binaries=(kube-apiserver kubectl kube-controller-manager kube-scheduler kubelet kube-proxy agnhost)
k8s_package() { case "$1" in agnhost) echo k8s.io/kubernetes/test/images/agnhost ;; *) echo "k8s.io/kubernetes/cmd/$1" ;; esac; }
cache="${PETREL_CACHE:-/var/cache/petrel}"
out="$cache/k8s-$K8S_VERSION"
bin="$out/bin"

all_names=("${k8s_binaries[@]}" e2e.test etcd helm coredns)
rig_names=(kube-apiserver kubectl kube-controller-manager kube-scheduler kubelet etcd helm)
force=0
prune=0
only="all"
while [[ $# -gt 0 ]]; do
  arg=$1
  shift
  case "$arg" in
    --only=*) only="${arg#--only=}" ;;
    --only)
      [[ $# -gt 0 ]] || { echo "build-k8s.sh: --only needs a list (try --help)" >&2; exit 2; }
      only=$1
      shift ;;
    --force) force=1 ;;
    --prune-go-cache) prune=1 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "build-k8s.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

# The selection, in build order, each name once.
declare -A selected=()
IFS=, read -r -a requested <<< "$only"
for name in "${requested[@]}"; do
  case "$name" in
    all) for n in "${all_names[@]}"; do selected[$n]=1; done ;;
    rig) for n in "${rig_names[@]}"; do selected[$n]=1; done ;;
    demo) for n in "${rig_names[@]}" kube-proxy; do selected[$n]=1; done ;;
    *)
      known=0
      for n in "${all_names[@]}"; do [[ $n == "$name" ]] && known=1; done
      [[ $known == 1 ]] || { echo "build-k8s.sh: --only: unknown binary or group '$name' (binaries: ${all_names[*]}; groups: rig, demo, all)" >&2; exit 2; }
      selected[$name]=1 ;;
  esac
done
wanted=()
for n in "${all_names[@]}"; do [[ -n ${selected[$n]:-} ]] && wanted+=("$n"); done
[[ ${#wanted[@]} -gt 0 ]] || { echo "build-k8s.sh: --only: nothing selected" >&2; exit 2; }
is_wanted() { [[ -n ${selected[$1]:-} ]]; }

if [[ ! $K8S_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "build-k8s.sh: Kubernetes version must look like v1.Y.Z, got '$K8S_VERSION'" >&2
  exit 2
fi
k8s_minor="${BASH_REMATCH[1]}"
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
if [[ ! $HELM_VERSION =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]]; then
  echo "build-k8s.sh: helm version must look like vX.Y.Z, got '$HELM_VERSION'" >&2
  exit 2
fi
helm_major="${BASH_REMATCH[1]}"
if [[ ! $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]]; then
  echo "build-k8s.sh: etcd version must look like v3.Y.Z, got '$ETCD_VERSION'" >&2
  exit 2
fi
if [[ ! $COREDNS_VERSION =~ ^v1\.[0-9]+\.[0-9]+$ ]]; then
  echo "build-k8s.sh: CoreDNS version must look like v1.Y.Z, got '$COREDNS_VERSION'" >&2
  exit 2
fi

t_start=$EPOCHREALTIME
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "build-k8s.sh: $*" >&2; }

# Each binary has a stamp naming the version it was built from; a binary counts as present
# only with a matching stamp (a changed etcd pin rebuilds etcd alone).
want_version() {
  case "$1" in
    etcd) echo "etcd $ETCD_VERSION" ;;
    helm) echo "helm $HELM_VERSION" ;;
    coredns) echo "coredns $COREDNS_VERSION" ;;
    *) echo "kubernetes $K8S_VERSION" ;;
  esac
}
present() { [[ -x "$bin/$1" && -f "$bin/.$1.version" && "$(< "$bin/.$1.version")" == "$(want_version "$1")" ]]; }
# Whether a wanted binary needs building (always, with --force).
needs() { is_wanted "$1" && { [[ $force == 1 ]] || ! present "$1"; }; }
k8s_needed() { local n; for n in "${k8s_binaries[@]}" e2e.test; do needs "$n" && return 0; done; return 1; }
all_present() { local n; for n in "${wanted[@]}"; do present "$n" || return 1; done; }

if [[ $force == 0 ]] && all_present; then
  log "warm: ${wanted[*]} (kubernetes $K8S_VERSION, etcd $ETCD_VERSION, helm $HELM_VERSION, coredns $COREDNS_VERSION) already in $bin ($(since "$t_start") s)"
  echo "$bin"
  exit 0
fi

mkdir -p "$bin" "$out/src"
exec 9> "$out/.lock"
if ! flock -n 9; then
  log "another build of $K8S_VERSION is running; waiting for it"
  flock 9
fi
if [[ $force == 0 ]] && all_present; then
  log "warm: another run built them meanwhile ($(since "$t_start") s)"
  echo "$bin"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[[ -x $GO ]] || { log "no Go toolchain found (looked on PATH and at /usr/local/go/bin/go); set GO=..."; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod"
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build"
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
# Long Go steps print a line every 30 s (what, how long so far), so a cold build never looks hung.
gonice() {
  local what="$GOWHAT" t0=$EPOCHREALTIME pid ticker status=0
  nice -n 10 "$GO" "$@" &
  pid=$!
  # The ticker kills its own sleep when stopped: an orphaned sleep would hold stdout/stderr open.
  ( trap 'kill "$s" 2>/dev/null; exit 0' TERM
    while :; do sleep 30 & s=$!; wait "$s"; log "  ... $what: $(since "$t0") s so far"; done ) >&2 &
  ticker=$!
  wait "$pid" || status=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return "$status"
}
GOWHAT="go"
todo=()
for n in "${wanted[@]}"; do needs "$n" && todo+=("$n"); done
log "building ${todo[*]}: kubernetes $K8S_VERSION (staging $staging_version), etcd $ETCD_VERSION, helm $HELM_VERSION, coredns $COREDNS_VERSION, $("$GO" version | cut -d' ' -f3)"

# --- one field out of `go mod download -json` -------------------------------------------------
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" | sed -n 1p; }
go_line() { sed -n 's/^go \([0-9.]*\)$/\1/p' "$1" | sed -n 1p; }

# --- kube-apiserver and kubectl --------------------------------------------------------------
build_kubernetes() {
  local t src json upstream_mod info release_time modules ldflags pkg name
  t=$EPOCHREALTIME
  src="$out/src/kubernetes"
  mkdir -p "$src"
  json="$(cd "$src" && GOFLAGS=-mod=mod gonice mod download -json "k8s.io/kubernetes@$K8S_VERSION")"
  upstream_mod="$(json_field GoMod <<< "$json")"
  info="$(json_field Info <<< "$json")"
  [[ -f $upstream_mod && -f $info ]] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; echo "$json" >&2; exit 1; }
  release_time="$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$info")"

  # Staging modules: required at v0.0.0 and/or replaced by ./staging/src/k8s.io/<name>.
  modules="$(
    {
      sed -n 's/^[[:space:]]*\(k8s\.io\/[A-Za-z0-9._/-]*\) v0\.0\.0$/\1/p' "$upstream_mod"
      sed -n 's/^[[:space:]]*\(k8s\.io\/[A-Za-z0-9._/-]*\) => \.\/staging\/.*/\1/p' "$upstream_mod"
    } | sort -u
  )"
  [[ -n $modules ]] || { log "found no staging modules in $upstream_mod"; exit 1; }

  {
    echo "// Generated by test/rig/build-k8s.sh; test-only wrapper around k8s.io/kubernetes."
    echo "module petrel.dev/test/k8s-binaries"
    echo
    echo "go $(go_line "$upstream_mod")"
    grep -E '^godebug ' "$upstream_mod" || true
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    while read -r m; do echo "	$m => $m $staging_version"; done <<< "$modules"
    echo ")"
    echo
    echo "tool ("
    for name in "${k8s_binaries[@]}"; do echo "	$(k8s_package "$name")"; done
    echo ")"
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  log "  wrapper module: $src/go.mod ($(wc -l <<< "$modules") staging modules replaced with $staging_version)"

  GOWHAT="kubernetes modules (go mod tidy)"
  (cd "$src" && gonice mod tidy)
  log "  resolved and downloaded modules: $(since "$t") s"

  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$release_time"
  done
  for name in "${k8s_binaries[@]}"; do
    needs "$name" || continue
    t=$EPOCHREALTIME
    GOWHAT="building $name"
    log "  building $name"
    (cd "$src" && gonice build -trimpath -ldflags "$ldflags" -o "$bin/.$name.tmp" "$(k8s_package "$name")")
    mv -f "$bin/.$name.tmp" "$bin/$name"
    want_version "$name" > "$bin/.$name.version"
    log "  built $name: $(since "$t") s"
  done
  # The upstream e2e suite: a test binary of test/e2e (all of its [sig-*] tests; the runner picks
  # the networking ones with --ginkgo.focus/skip). go test -c adds its test-only requirements to
  # the wrapper's go.sum (-mod=mod).
  if needs e2e.test; then
    t=$EPOCHREALTIME
    GOWHAT="building e2e.test (go test -c k8s.io/kubernetes/test/e2e)"
    log "  building e2e.test"
    (cd "$src" && gonice test -c -trimpath -ldflags "$ldflags" -o "$bin/.e2e.test.tmp" k8s.io/kubernetes/test/e2e)
    mv -f "$bin/.e2e.test.tmp" "$bin/e2e.test"
    want_version e2e.test > "$bin/.e2e.test.version"
    log "  built e2e.test: $(since "$t") s"
  fi
}

# --- etcd ------------------------------------------------------------------------------------
build_etcd() {
  local t src json upstream_mod
  t=$EPOCHREALTIME
  src="$out/src/etcd"
  mkdir -p "$src"
  json="$(cd "$src" && GOFLAGS=-mod=mod gonice mod download -json "go.etcd.io/etcd/server/v3@$ETCD_VERSION")"
  upstream_mod="$(json_field GoMod <<< "$json")"
  [[ -f $upstream_mod ]] || { log "could not download go.etcd.io/etcd/server/v3@$ETCD_VERSION"; echo "$json" >&2; exit 1; }
  {
    echo "// Generated by test/rig/build-k8s.sh; test-only wrapper around the etcd server."
    echo "module petrel.dev/test/etcd-binary"
    echo
    echo "go $(go_line "$upstream_mod")"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo
    echo "tool go.etcd.io/etcd/server/v3"
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  GOWHAT="etcd modules (go mod tidy)"
  (cd "$src" && gonice mod tidy)
  log "  etcd modules: $(since "$t") s"
  t=$EPOCHREALTIME
  GOWHAT="building etcd"
  (cd "$src" && gonice build -trimpath -ldflags "-s -w" -o "$bin/.etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$bin/.etcd.tmp" "$bin/etcd"
  want_version etcd > "$bin/.etcd.version"
  log "  built etcd: $(since "$t") s"
}

# --- helm (for the chart tests) -----------------------------------------------------------------
build_helm() {
  local t src json upstream_mod module="helm.sh/helm/v$helm_major" ldflags
  t=$EPOCHREALTIME
  src="$out/src/helm"
  mkdir -p "$src"
  json="$(cd "$src" && GOFLAGS=-mod=mod gonice mod download -json "$module@$HELM_VERSION")"
  upstream_mod="$(json_field GoMod <<< "$json")"
  [[ -f $upstream_mod ]] || { log "could not download $module@$HELM_VERSION"; echo "$json" >&2; exit 1; }
  {
    echo "// Generated by test/rig/build-k8s.sh; test-only wrapper around the helm command."
    echo "module petrel.dev/test/helm-binary"
    echo
    echo "go $(go_line "$upstream_mod")"
    echo
    echo "require $module $HELM_VERSION"
    echo
    echo "tool $module/cmd/helm"
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  GOWHAT="helm modules (go mod tidy)"
  (cd "$src" && gonice mod tidy)
  log "  helm modules: $(since "$t") s"
  t=$EPOCHREALTIME
  GOWHAT="building helm"
  ldflags="-s -w -X $module/internal/version.version=$HELM_VERSION"
  (cd "$src" && gonice build -trimpath -ldflags "$ldflags" -o "$bin/.helm.tmp" "$module/cmd/helm")
  mv -f "$bin/.helm.tmp" "$bin/helm"
  want_version helm > "$bin/.helm.version"
  log "  built helm: $(since "$t") s"
}

# --- CoreDNS (cluster DNS of the multi-node rig) -------------------------------------------------
build_coredns() {
  local t src json upstream_mod module=github.com/coredns/coredns
  t=$EPOCHREALTIME
  src="$out/src/coredns"
  mkdir -p "$src"
  GOWHAT="coredns module download"
  json="$(cd "$src" && GOFLAGS=-mod=mod gonice mod download -json "$module@$COREDNS_VERSION")"
  upstream_mod="$(json_field GoMod <<< "$json")"
  [[ -f $upstream_mod ]] || { log "could not download $module@$COREDNS_VERSION"; echo "$json" >&2; exit 1; }
  {
    echo "// Generated by test/rig/build-k8s.sh; test-only wrapper around the coredns command."
    echo "module petrel.dev/test/coredns-binary"
    echo
    echo "go $(go_line "$upstream_mod")"
    echo
    echo "require $module $COREDNS_VERSION"
    echo
    echo "tool $module"
  } > "$src/go.mod"
  rm -f "$src/go.sum"
  GOWHAT="coredns modules (go mod tidy)"
  (cd "$src" && gonice mod tidy)
  log "  coredns modules: $(since "$t") s"
  t=$EPOCHREALTIME
  GOWHAT="building coredns"
  log "  building coredns"
  (cd "$src" && gonice build -trimpath -ldflags "-s -w -X $module/coremain.GitCommit=$COREDNS_VERSION" -o "$bin/.coredns.tmp" "$module")
  mv -f "$bin/.coredns.tmp" "$bin/coredns"
  want_version coredns > "$bin/.coredns.version"
  log "  built coredns: $(since "$t") s"
}

if k8s_needed; then build_kubernetes; fi
if needs etcd; then build_etcd; fi
if needs helm; then build_helm; fi
if needs coredns; then build_coredns; fi

# `sed -n 1p`, not `head -n1`: head exits after one line, the program writing the next one
# dies of SIGPIPE, and under pipefail the build "fails" with 141 (a cold CI run did).
is_wanted kube-apiserver && "$bin/kube-apiserver" --version >&2
is_wanted kubectl && "$bin/kubectl" version --client >&2
is_wanted etcd && { "$bin/etcd" --version | sed -n 1p >&2; }
is_wanted kubelet && "$bin/kubelet" --version >&2
is_wanted helm && "$bin/helm" version --short >&2
is_wanted kube-proxy && "$bin/kube-proxy" --version >&2
is_wanted coredns && { "$bin/coredns" -version | sed -n 1p >&2; }

log "build done in $(since "$t_start") s"
if [[ $prune == 1 ]]; then
  "$GO" clean -modcache
  "$GO" clean -cache
  rm -rf "$cache/go"
  log "pruned the Go caches under $cache/go"
fi
go_cache_use="none"
[[ -d $cache/go ]] && go_cache_use="$(du -sh "$cache/go" | cut -f1)"
log "disk: $(du -sh "$bin" | cut -f1) binaries in $bin; Go module+build cache in $cache/go: $go_cache_use"
echo "$bin"
