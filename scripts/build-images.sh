#!/usr/bin/env bash
# Builds the container images the Kubernetes drill pulls, under their upstream names, from binaries
# built here (scripts/build-components.sh and the extra recipes below), and keeps them in a local
# registry's storage so the drill's containerd can pull them offline through a hosts.toml mirror.
#
#   scripts/build-images.sh build             build the missing binaries, assemble every image and push
#                                             it into the registry storage (cached: a finished storage
#                                             folder is reused as is); prints the storage folder
#   scripts/build-images.sh serve ADDR        run the registry on ADDR (e.g. 127.0.0.1:5000) in the
#                                             foreground, read-only, over that storage (builds it first
#                                             when it is missing)
#   scripts/build-images.sh hosts ADDR DIR    write containerd hosts.toml files under DIR (one folder per
#                                             upstream registry) that mirror every upstream host to ADDR
#   scripts/build-images.sh verify [ADDR]     serve on ADDR (default: a free 127.0.0.1:5xxx port), check
#                                             every image with crane, then pull through a scratch
#                                             containerd configured with those hosts.toml files and run
#                                             the images with runc (cgroupfs); cleans up after itself
#   scripts/build-images.sh components        only build the binaries
#   scripts/build-images.sh images            print the upstream image references
#   scripts/build-images.sh --print           print the storage folder and exit
#
# Two version sets (scripts/components.env): the default one (KUBERNETES_VERSION, ETCD_VERSION, ...)
# and the upgrade-from one (KUBERNETES_UPGRADE_FROM, UPGRADE_FROM_*), whose images are built into the
# same storage: a cluster at the upgrade-from version and its upgrade to the default pull from one
# registry. Images that both sets name alike (pause when its version is the same, flannel,
# busybox) are pushed once. Below, vK8S, ETCD_IMAGE_TAG, PAUSE_VERSION, vX (CoreDNS) and vCCM are
# each set's.
#
# Binaries are cached like build-components.sh does it: $HAFORM_COMPONENTS/<name>-<version>/bin,
# complete once <name>-<version>/.done exists. Components that build-components.sh knows
# (kubernetes, etcd) are built by it; the rest of its list (cloud-provider-aws, flannel,
# distribution, crane, containerd, cri-tools) is built by it when it has a build_<name> function
# for them, else by the same recipe here. Built here only: CoreDNS (the version kubeadm pins),
# kube-log-runner (k8s.io/component-base, the /go-runner of the Kubernetes images), pause (gcc,
# static, from kubernetes's build/pause/linux/pause.c) and the flannel CNI plugin (see below).
#
# Registry layout. Storage: $HAFORM_REGISTRY/<key>/data (default /var/cache/haform/registry), where
# <key> names both sets' Kubernetes versions and hashes scripts/components.env (every version of both
# sets) and this script, so a change to either builds a new storage folder. Each image is pushed as <registry>/<upstream host>/<path>:<tag>,
# e.g. 127.0.0.1:5000/registry.k8s.io/kube-apiserver:v1.36.3. A containerd hosts.toml for
# registry.k8s.io whose host is "http://ADDR/v2/registry.k8s.io" with override_path = true then
# serves registry.k8s.io/kube-apiserver:v1.36.3 unchanged (the `hosts` subcommand writes them).
#
# Images (all linux/<go arch>, single-platform OCI manifests), and what they hold, as upstream:
#   registry.k8s.io/kube-{apiserver,controller-manager,scheduler}:vK8S
#       distroless-static-like base, /go-runner (kube-log-runner), /usr/local/bin/<name>;
#       entrypoint /go-runner; kube-apiserver has cap_net_bind_service=+ep like upstream's setcap.
#   registry.k8s.io/kube-proxy:vK8S
#       distroless-iptables-like base from Debian packages: glibc, iptables (nft + legacy), ipset,
#       kmod, nft, dash as /bin/sh with cat chmod grep ln rm sleep wc, and an iptables wrapper that
#       picks the host's backend; /go-runner, /usr/local/bin/kube-proxy; entrypoint /go-runner.
#   registry.k8s.io/etcd:ETCD_IMAGE_TAG
#       etcd's official image (what registry.k8s.io/etcd carries since cluster/images/etcd left
#       kubernetes): distroless static, /usr/local/bin/{etcd,etcdctl,etcdutl}, cmd /usr/local/bin/etcd,
#       workdir /var/lib/etcd, no shell.
#   registry.k8s.io/pause:PAUSE_VERSION        scratch + /pause, user 65535:65535, entrypoint /pause.
#   registry.k8s.io/coredns/coredns:vX         distroless static nonroot, /coredns (cap_net_bind_service),
#                                              user nonroot:nonroot, entrypoint /coredns; vX is what the
#                                              set's kubeadm deploys (read from it).
#   registry.k8s.io/provider-aws/cloud-controller-manager:vCCM
#       go-runner-like base, /bin/aws-cloud-controller-manager, entrypoint that binary.
#   ghcr.io/flannel-io/flannel:vFLANNEL        /opt/bin/flanneld (entrypoint), /opt/bin/mk-docker-opts.sh,
#       iptables (nft + legacy, with the wrapper), nft, ip, CA certificates, busybox as the shell
#       and coreutils (upstream is alpine: busybox too) so the manifest's `cp -f ...` works.
#   ghcr.io/flannel-io/flannel-cni-plugin:vX-flannel1   busybox + /flannel (the init container
#       runs `cp -f /flannel /opt/cni/bin/flannel`); cmd /bin/sh like alpine.
#   docker.io/library/busybox:1.36             Debian's busybox-static with every applet in /bin, cmd sh.
#
# Differences from upstream that remain: binaries are built here with this machine's Go; the bases
# are rebuilt from this machine's Debian 12 packages rather than pulled; the busybox image and the
# busybox in the flannel images are Debian's busybox-static (1.35 in Debian 12), not 1.36/alpine;
# the flannel image leaves out strongswan and wireguard-tools (IPsec backend, `wg`), and ships
# Debian's nft rather than the patched static nft of distroless-iptables; /go-runner of the
# cloud-controller-manager image is kube-log-runner (its successor) rather than kubernetes/release's
# go-runner. The flannel CNI plugin (github.com/flannel-io/cni-plugin) is not on the Go module proxy:
# it is built from a checkout given as FLANNEL_CNI_PLUGIN_SRC (a git repository holding the tag, or a
# source tree); without one it falls back, with a warning, to the same plugin's ancestor in
# github.com/containernetworking/plugins v0.9.1 (plugins/meta/flannel).
#
# Needs root on Debian 12 (it apt-get installs the Debian packages it copies from when missing).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=components.env disable=SC1091
. "$here/components.env"
root="${HAFORM_COMPONENTS:-/var/cache/haform/components}"
reg_root="${HAFORM_REGISTRY:-/var/cache/haform/registry}"
export GOFLAGS="${GOFLAGS:--trimpath}" CGO_ENABLED=0 GOTOOLCHAIN=local

# The flannel-io/cni-plugin tag the flannel manifest of FLANNEL_VERSION names for CNI_FLANNEL_PLUGIN_VERSION.
FLANNEL_CNI_PLUGIN_TAG="${FLANNEL_CNI_PLUGIN_TAG:-v${CNI_FLANNEL_PLUGIN_VERSION}-flannel1}"
BUSYBOX_TAG="${BUSYBOX_TAG:-1.36}"
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SSL_ENV="SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"

log() { echo "build-images: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The version sets of components.env, the upgrade-from one first. set_versions SET prints its
# Kubernetes, etcd, etcd image tag, pause, CoreDNS and cloud-provider-aws versions, in that order.
SETS=(upgrade-from default)
set_versions() {
  case "$1" in
    default) echo "$KUBERNETES_VERSION $ETCD_VERSION $ETCD_IMAGE_TAG $PAUSE_VERSION $COREDNS_VERSION $CLOUD_PROVIDER_AWS_VERSION" ;;
    upgrade-from) echo "$KUBERNETES_UPGRADE_FROM $UPGRADE_FROM_ETCD_VERSION $UPGRADE_FROM_ETCD_IMAGE_TAG $UPGRADE_FROM_PAUSE_VERSION $UPGRADE_FROM_COREDNS_VERSION $UPGRADE_FROM_CLOUD_PROVIDER_AWS_VERSION" ;;
    *) die "no version set $1" ;;
  esac
}

# Where the flannel CNI plugin comes from (see the header): part of the storage key.
fcni_from=cni-plugins-0.9.1
if [ -f "$root/flannel-cni-plugin-${FLANNEL_CNI_PLUGIN_TAG#v}/.done" ] || [ -n "${FLANNEL_CNI_PLUGIN_SRC:-}" ]; then
  fcni_from="$FLANNEL_CNI_PLUGIN_TAG"
fi
key="k8s-$KUBERNETES_VERSION+$KUBERNETES_UPGRADE_FROM-$({ cat "$here/components.env" "$here/build-images.sh"; echo "$fcni_from"; } | sha256sum | cut -c1-12)"
storage="$reg_root/$key"
if [ "${1:-}" = "--print" ]; then echo "$storage"; exit 0; fi

# Timing of the steps, reported at the end of `build` and `verify`.
timings=()
step_start=0
step() { step_start=$SECONDS; log "$*"; }
step_done() { timings+=("$(printf '%4ss  %s' "$((SECONDS - step_start))" "$1")"); }
report_timings() { local t; for t in "${timings[@]}"; do log "took $t"; done; }

# ---------------------------------------------------------------------------------------------------
# Binaries

have() { [ -f "$root/$1-$2/.done" ]; }
bin_of() { echo "$root/$1-$2/bin"; }

# go_build NAME VERSION MODULE@VERSION PACKAGE... : the recipe of build-components.sh's go_build (a
# throwaway module that requires MODULE and builds PACKAGEs into $root/NAME-VERSION/bin), same
# cache layout. Extra go.mod lines come from $GOMOD_EXTRA, extra -ldflags from $LDFLAGS_EXTRA.
go_build() {
  local name="$1" version="$2" require="$3"; shift 3
  local dest="$root/$name-$version"
  [ -f "$dest/.done" ] && { log "$name $version cached"; return 0; }
  local work; work="$(mktemp -d)"
  log "$name $version: building ${*##*/}"
  (
    cd "$work"
    printf 'module haform.local/build/%s\n\ngo 1.26\n%s\n' "$name" "${GOMOD_EXTRA:-}" >go.mod
    local r; for r in $require; do go mod edit -require="$r"; done
    mkdir -p "$dest/bin.tmp"
    go build -mod=mod -ldflags="-s -w ${LDFLAGS_EXTRA:-}" -o "$dest/bin.tmp/" "$@"
  ) || { rm -rf "$work" "$dest/bin.tmp"; die "$name $version did not build"; }
  rm -rf "${dest:?}/bin" && mv "$dest/bin.tmp" "$dest/bin"
  rm -rf "$work"
  touch "$dest/.done"
}

# The components of build-components.sh: built by it when it has a build_<name> function, else (its
# main() lists them inline, so `build-components.sh <name>` does not know them) by the same recipe.
components_has() { grep -Eq "^(function[[:space:]]+)?build_$1[[:space:]]*\(\)" "$here/build-components.sh"; }
upstream_component() {
  local name="$1" version="$2"
  have "$name" "$version" && return 0
  if components_has "$name"; then
    bash "$here/build-components.sh" "$name"
  else
    "local_$name" "$version"
  fi
  have "$name" "$version" || die "$name $version did not build"
}
local_kubernetes() { die "kubernetes $1 is not built: run scripts/build-components.sh kubernetes"; }
local_etcd() { die "etcd $1 is not built: run scripts/build-components.sh etcd"; }
local_cloud-provider-aws() {
  # upstream's Dockerfile stamps the version: -X k8s.io/component-base/version.gitVersion
  GOMOD_EXTRA="" LDFLAGS_EXTRA="-X k8s.io/component-base/version.gitVersion=v$1" \
    go_build cloud-provider-aws "$1" "k8s.io/cloud-provider-aws@v$1" k8s.io/cloud-provider-aws/cmd/aws-cloud-controller-manager
}
local_flannel() {
  # flannel v0.28.4 pins tencentcloud-sdk-go/tencentcloud/common v1.3.79 (its tencentvpc backend), a
  # version the module proxy does not serve ("not available", 403): require the next patch, v1.3.80.
  # Its UDP backend needs cgo on amd64 (upstream's Makefile sets CGO_ENABLED=1 there and links
  # statically); netgo/osusergo keep the static glibc binary off NSS.
  local cgo=0; [ "$(go env GOARCH)" = amd64 ] && cgo=1
  CGO_ENABLED="$cgo" GOFLAGS="$GOFLAGS -tags=netgo,osusergo" \
    LDFLAGS_EXTRA="-extldflags=-static -X github.com/flannel-io/flannel/pkg/version.Version=v$FLANNEL_VERSION" \
    go_build flannel "$FLANNEL_VERSION" "github.com/flannel-io/flannel@v$FLANNEL_VERSION ${FLANNEL_EXTRA_REQUIRE-github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common@v1.3.80}" \
    github.com/flannel-io/flannel
}
local_containerd() {
  go_build containerd "$CONTAINERD_VERSION" "github.com/containerd/containerd/v2@v$CONTAINERD_VERSION" \
    github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2
}
local_cri-tools() {
  go_build cri-tools "$CRI_TOOLS_VERSION" "sigs.k8s.io/cri-tools@v$CRI_TOOLS_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
}
local_distribution() {
  go_build distribution "$DISTRIBUTION_VERSION" "github.com/distribution/distribution/v3@v$DISTRIBUTION_VERSION" \
    github.com/distribution/distribution/v3/cmd/registry
}
local_crane() {
  go_build crane "$CRANE_VERSION" "github.com/google/go-containerregistry@v$CRANE_VERSION" \
    github.com/google/go-containerregistry/cmd/crane
}

# coredns_version K8S: the CoreDNS tag kubeadm of K8S deploys (its constants.CoreDNSVersion), read
# from the built kubeadm so that it can't drift from the pin.
coredns_version() {
  local kubeadm; kubeadm="$(bin_of kubernetes "$1")/kubeadm"
  "$kubeadm" config images list --kubernetes-version "v$1" 2>/dev/null |
    sed -n 's#^registry.k8s.io/coredns/coredns:v##p'
}

build_coredns() {
  local v="$1"
  have coredns "$v" && { log "coredns $v cached"; return 0; }
  local commit
  commit="$(go mod download -json "github.com/coredns/coredns@v$v" | jq -r '.Origin.Hash // "unknown"' | cut -c1-7)"
  LDFLAGS_EXTRA="-X github.com/coredns/coredns/coremain.GitCommit=$commit" \
    go_build coredns "$v" "github.com/coredns/coredns@v$v" github.com/coredns/coredns
}

# build_kube_log_runner K8S: kube-log-runner of K8S's component-base, what kubernetes's server images
# ship as /go-runner (build/server-image/Dockerfile).
build_kube_log_runner() {
  GOMOD_EXTRA="" LDFLAGS_EXTRA="" go_build kube-log-runner "$1" "k8s.io/component-base@v0.${1#1.}" \
    k8s.io/component-base/logs/kube-log-runner
}

# build_pause VERSION K8S: build/pause/linux/pause.c of the kubernetes module of K8S (whose
# build/pause must be at VERSION), compiled as build/pause/Makefile does.
build_pause() {
  local v="$1" k8s="$2" dest="$root/pause-$1"
  have pause "$v" && { log "pause $v cached"; return 0; }
  log "pause $v: compiling build/pause/linux/pause.c of k8s.io/kubernetes v$k8s"
  local dir; dir="$(go mod download -json "k8s.io/kubernetes@v$k8s" | jq -r .Dir)"
  local src="$dir/build/pause/linux/pause.c"
  [ -f "$src" ] || die "no $src"
  grep -q "^TAG ?= $v\$" "$dir/build/pause/Makefile" || die "kubernetes v$k8s's build/pause is not pause $v"
  rm -rf "$dest/bin.tmp" && mkdir -p "$dest/bin.tmp"
  gcc -Os -Wall -Werror -static -DVERSION="v$v-v$k8s" -o "$dest/bin.tmp/pause" "$src"
  strip "$dest/bin.tmp/pause"
  rm -rf "${dest:?}/bin" && mv "$dest/bin.tmp" "$dest/bin"
  touch "$dest/.done"
}

# The flannel CNI plugin: github.com/flannel-io/cni-plugin at FLANNEL_CNI_PLUGIN_TAG, built as its
# scripts/build_flannel.sh does (static, netgo tags, version stamped). The module is not on the Go
# module proxy, so the source comes from FLANNEL_CNI_PLUGIN_SRC. flannel_cni_dir prints the folder used.
flannel_cni_dir() {
  if [ "$fcni_from" = "$FLANNEL_CNI_PLUGIN_TAG" ]; then
    echo "flannel-cni-plugin ${FLANNEL_CNI_PLUGIN_TAG#v}"
  else
    echo "flannel-cni-plugin-from-cni-plugins 0.9.1"
  fi
}
build_flannel_cni_plugin() {
  local tag="$FLANNEL_CNI_PLUGIN_TAG" v="${FLANNEL_CNI_PLUGIN_TAG#v}"
  have flannel-cni-plugin "$v" && { log "flannel-cni-plugin $v cached"; return 0; }
  if [ -z "${FLANNEL_CNI_PLUGIN_SRC:-}" ]; then
    log "warning: FLANNEL_CNI_PLUGIN_SRC is not set and github.com/flannel-io/cni-plugin is not on the module proxy:"
    log "warning: building the flannel CNI plugin from github.com/containernetworking/plugins v0.9.1 instead of $tag"
    LDFLAGS_EXTRA="" go_build flannel-cni-plugin-from-cni-plugins 0.9.1 \
      "github.com/containernetworking/plugins@v0.9.1" github.com/containernetworking/plugins/plugins/meta/flannel
    return 0
  fi
  local dest="$root/flannel-cni-plugin-$v" work commit=unknown
  work="$(mktemp -d)"
  log "flannel-cni-plugin $v: building from $FLANNEL_CNI_PLUGIN_SRC"
  if git -C "$FLANNEL_CNI_PLUGIN_SRC" rev-parse --git-dir >/dev/null 2>&1; then
    commit="$(git -C "$FLANNEL_CNI_PLUGIN_SRC" rev-parse "$tag^{commit}")"
    git -C "$FLANNEL_CNI_PLUGIN_SRC" archive "$commit" | tar -x -C "$work"
  else
    cp -a "$FLANNEL_CNI_PLUGIN_SRC/." "$work/"
  fi
  grep -q '^module github.com/flannel-io/cni-plugin$' "$work/go.mod" || die "$FLANNEL_CNI_PLUGIN_SRC is not github.com/flannel-io/cni-plugin"
  rm -rf "$dest/bin.tmp" && mkdir -p "$dest/bin.tmp"
  (cd "$work" && go build -mod=mod -tags "netgo osusergo no_stage static_build" \
    -ldflags "-s -w -X main.Version=$tag -X main.Commit=${commit:0:8} -X main.Program=flannel" \
    -o "$dest/bin.tmp/flannel" .)
  rm -rf "${dest:?}/bin" && mv "$dest/bin.tmp" "$dest/bin"
  rm -rf "$work"
  touch "$dest/.done"
}

# Debian packages whose files go into the images (and the tools this script runs).
debs=(busybox-static iptables nftables ipset kmod iproute2 ca-certificates tzdata netbase dash coreutils grep
  libc6 libcap2-bin gcc libc6-dev jq curl)
ensure_debs() {
  local missing=() p
  for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The CoreDNS version of each set's Kubernetes version, as its kubeadm deploys it (build_components).
declare -A coredns_of=()
build_components() {
  step "binaries"
  ensure_debs
  upstream_component distribution "$DISTRIBUTION_VERSION"
  upstream_component crane "$CRANE_VERSION"
  upstream_component flannel "$FLANNEL_VERSION"
  local vset k e et p dns ccm
  for vset in "${SETS[@]}"; do
    read -r k e et p dns ccm <<<"$(set_versions "$vset")"
    upstream_component kubernetes "$k"
    upstream_component etcd "$e"
    upstream_component cloud-provider-aws "$ccm"
    coredns_of[$k]="$(coredns_version "$k")"
    [ -n "${coredns_of[$k]}" ] || die "kubeadm $k names no CoreDNS image"
    if [ "${coredns_of[$k]}" != "$dns" ]; then
      log "warning: components.env has CoreDNS $dns for Kubernetes $k ($vset set) but kubeadm $k deploys CoreDNS v${coredns_of[$k]}: building v${coredns_of[$k]}"
    fi
    build_coredns "${coredns_of[$k]}"
    build_kube_log_runner "$k"
    build_pause "$p" "$k"
  done
  build_flannel_cni_plugin
  step_done "binaries"
}

# ---------------------------------------------------------------------------------------------------
# Root file systems and layers

# stage PATH ROOT: copy PATH (file or symlink, and what a symlink points to) into ROOT at the same
# place. ROOT is usr-merged like Debian 12 (bin, sbin, lib, lib64 -> usr/...), so /lib/x is /usr/lib/x.
stage() {
  local src="$1" dst="$2"
  case "$src" in /bin/* | /sbin/* | /lib/* | /lib64/*) src="/usr$src" ;; esac
  [ -e "$src" ] || [ -L "$src" ] || return 0
  [ -e "$dst$src" ] || [ -L "$dst$src" ] && return 0
  [ -d "$src" ] && [ ! -L "$src" ] && { mkdir -p "$dst$src"; return 0; }
  mkdir -p "$dst${src%/*}"
  cp -a "$src" "$dst$src"
  if [ -L "$src" ]; then
    local t; t="$(readlink "$src")"
    case "$t" in /*) ;; *) t="${src%/*}/$t" ;; esac
    stage "$(realpath -ms "$t")" "$dst"
  fi
}
# stage_bin BINARY ROOT: the binary and the shared libraries ldd finds for it.
stage_bin() {
  local b="$1" dst="$2" lib
  stage "$b" "$dst"
  while read -r lib; do stage "$lib" "$dst"; done < <(ldd "$b" 2>/dev/null |
    sed -nE 's#.*=> (/[^ ]+) .*#\1#p; s#^[[:space:]]*(/[^ ]+) \(.*#\1#p')
}
# stage_pkg PACKAGE ROOT: a package's files (no docs but its copyright) with its binaries' libraries,
# and its dpkg status in /var/lib/dpkg/status.d like distroless.
stage_pkg() {
  local pkg="$1" dst="$2" f
  while read -r f; do
    case "$f" in
      /. | /usr/share/doc/*/copyright) ;;
      /usr/share/doc* | /usr/share/man* | /usr/share/info* | /usr/share/lintian* | /usr/share/bug* | \
        /usr/share/bash-completion* | /usr/share/zsh* | /usr/share/locale* | /usr/share/vim* | \
        /usr/lib/x86_64-linux-gnu/gconv* | /usr/lib/*/gconv* | /etc/init.d* | /etc/logrotate.d* | \
        /usr/lib/systemd* | /lib/systemd*) continue ;;
    esac
    [ "$f" = /. ] && continue
    case "$f" in
      */bin/* | */sbin/*) if [ -f "$f" ] && [ ! -L "$f" ]; then stage_bin "$f" "$dst"; else stage "$f" "$dst"; fi ;;
      *) [ -d "$f" ] && [ ! -L "$f" ] && continue; stage "$f" "$dst" ;;
    esac
  done < <(dpkg -L "$pkg")
  mkdir -p "$dst/var/lib/dpkg/status.d"
  dpkg -s "$pkg" >"$dst/var/lib/dpkg/status.d/$pkg"
}
# stage_pkg_deps PACKAGE ROOT: the package and the packages it directly depends on (like
# distroless-iptables' stage-binaries-from-package.sh).
stage_pkg_deps() {
  local pkg="$1" dst="$2" dep
  stage_pkg "$pkg" "$dst"
  while read -r dep; do
    dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' && stage_pkg "$dep" "$dst"
  done < <(apt-cache depends --no-recommends --no-suggests "$pkg" 2>/dev/null |
    sed -nE 's/^[ |]*(Pre)?Depends: ([^<][^ ]*)$/\2/p' | sort -u)
}

usrmerge() {
  local d="$1"
  mkdir -p "$d/usr/bin" "$d/usr/sbin" "$d/usr/lib" "$d/usr/lib64"
  ln -sfn usr/bin "$d/bin"; ln -sfn usr/sbin "$d/sbin"; ln -sfn usr/lib "$d/lib"; ln -sfn usr/lib64 "$d/lib64"
}

# The files of gcr.io/distroless/static-debian12: users root, nobody, nonroot (65532), CA
# certificates, time zones, netbase's /etc/services and /etc/protocols, /tmp, no shell, no libc.
make_static_base() {
  local d="$1"
  mkdir -p "$d/etc/ssl/certs" "$d/usr/share" "$d/tmp" "$d/root" "$d/home/nonroot" "$d/var/lib/dpkg/status.d"
  cat >"$d/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$d/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' >"$d/etc/nsswitch.conf"
  cp /usr/lib/os-release "$d/etc/os-release"
  cp /etc/ssl/certs/ca-certificates.crt "$d/etc/ssl/certs/ca-certificates.crt"
  cp -a /usr/share/zoneinfo "$d/usr/share/zoneinfo"
  cp /etc/services /etc/protocols "$d/etc/"
  local p; for p in ca-certificates tzdata netbase; do dpkg -s "$p" >"$d/var/lib/dpkg/status.d/$p"; done
  chmod 1777 "$d/tmp"; chmod 700 "$d/root" "$d/home/nonroot"; chown 65532:65532 "$d/home/nonroot"
}

# The iptables wrapper: iptables{,-save,-restore} and ip6tables{,-save,-restore} point at it; on first
# use it finds the backend the host's rules are in (kubelet's KUBE-IPTABLES-HINT / KUBE-KUBELET-CANARY
# chains first, else the backend with more rules, nft on a tie), re-points those commands at
# xtables-<backend>-multi and runs the command. That is what kubernetes-sigs/iptables-wrappers does
# in upstream's distroless-iptables and flannel images; this is a rewrite for the same job.
install_iptables_wrapper() {
  local d="$1" sbin="/usr/sbin" c
  cat >"$d$sbin/iptables-wrapper" <<EOF
#!/bin/sh
set -eu
hints() { "\$@" 2>/dev/null | grep -cE '^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)' || true; }
rules() { "\$@" 2>/dev/null | grep -c '^-' || true; }
if [ \$((\$(hints iptables-nft-save -t mangle) + \$(hints ip6tables-nft-save -t mangle))) -gt 0 ]; then
  mode=nft
elif [ \$((\$(hints iptables-legacy-save) + \$(hints ip6tables-legacy-save))) -gt 0 ]; then
  mode=legacy
elif [ \$((\$(rules iptables-legacy-save) + \$(rules ip6tables-legacy-save))) -gt \$((\$(rules iptables-nft-save) + \$(rules ip6tables-nft-save))) ]; then
  mode=legacy
else
  mode=nft
fi
failed=0
for cmd in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  rm -f "$sbin/\$cmd" 2>/dev/null && ln -s "xtables-\$mode-multi" "$sbin/\$cmd" 2>/dev/null || failed=1
done
if [ "\$failed" = 1 ]; then
  echo "iptables-wrapper: cannot re-point the iptables commands (read-only image?); running xtables-\$mode-multi" >&2
  exec "$sbin/xtables-\$mode-multi" "\${0##*/}" "\$@"
fi
exec "\$0" "\$@"
EOF
  chmod 755 "$d$sbin/iptables-wrapper"
  for c in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    rm -f "$d$sbin/$c"; ln -s iptables-wrapper "$d$sbin/$c"
  done
}

# busybox_links ROOT: busybox-static as /usr/bin/busybox with a symlink for each applet that the
# image has no real command for (usr-merged ROOT).
busybox_links() {
  local d="$1" p name dir
  stage /bin/busybox "$d"
  while read -r p; do
    name="${p##*/}"; dir="${p%/*}"
    case "$dir" in bin | usr/bin) dir=usr/bin ;; sbin | usr/sbin) dir=usr/sbin ;; *) continue ;; esac
    [ -e "$d/usr/bin/$name" ] || [ -L "$d/usr/bin/$name" ] || [ -e "$d/usr/sbin/$name" ] || [ -L "$d/usr/sbin/$name" ] && continue
    ln -s /usr/bin/busybox "$d/$dir/$name"
  done < <(/bin/busybox --list-full)
}

# layer DIR TAR: a reproducible layer (sorted, mtime 0, numeric owners, file capabilities kept).
layer() {
  local d="$1" out="$2"
  (cd "$d" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort |
    tar --create --file "$out" --files-from - --sort=name --mtime=@0 --numeric-owner --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
      --xattrs --xattrs-include=security.capability)
}

# ---------------------------------------------------------------------------------------------------
# Registry

registry_bin() { echo "$(bin_of distribution "$DISTRIBUTION_VERSION")/registry"; }
crane_bin() { echo "$(bin_of crane "$CRANE_VERSION")/crane"; }

# write_registry_config FILE READONLY: storage and address come from the environment
# (REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY, REGISTRY_HTTP_ADDR).
write_registry_config() {
  cat >"$1" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /nonexistent
  delete:
    enabled: false
  maintenance:
    uploadpurging:
      enabled: false
    readonly:
      enabled: $2
http:
  addr: 127.0.0.1:0
  secret: haform-drill-local-registry
EOF
}

free_port() {
  local p="${1:-}"
  for _ in $(seq 1 200); do
    [ -n "$p" ] || p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    p=$((p + 1))
  done
  die "no free port"
}

reg_pid=""
# start_registry CONFIG DATA ADDR LOG: in the background; waits until it answers.
start_registry() {
  local cfg="$1" data="$2" addr="$3" logf="$4"
  REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$data" REGISTRY_HTTP_ADDR="$addr" OTEL_TRACES_EXPORTER=none \
    "$(registry_bin)" serve "$cfg" >"$logf" 2>&1 &
  reg_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://$addr/v2/" 2>/dev/null && return 0
    kill -0 "$reg_pid" 2>/dev/null || { cat "$logf" >&2; die "the registry on $addr exited"; }
    sleep 0.1
  done
  cat "$logf" >&2; die "the registry on $addr did not answer"
}
stop_registry() {
  [ -n "$reg_pid" ] || return 0
  kill "$reg_pid" 2>/dev/null || true
  wait "$reg_pid" 2>/dev/null || true
  reg_pid=""
}

# ---------------------------------------------------------------------------------------------------
# Images

# set_coredns K8S COREDNS: the CoreDNS version of K8S (its kubeadm's, once built; else the pin).
set_coredns() {
  local c="${coredns_of[$1]:-}"
  if [ -z "$c" ] && [ -x "$(bin_of kubernetes "$1")/kubeadm" ]; then c="$(coredns_version "$1")"; fi
  echo "${c:-$2}"
}
# image_refs: every image of both sets, each once.
image_refs() {
  local vset k e et p dns ccm
  {
    for vset in "${SETS[@]}"; do
      read -r k e et p dns ccm <<<"$(set_versions "$vset")"
      echo "registry.k8s.io/kube-apiserver:v$k"
      echo "registry.k8s.io/kube-controller-manager:v$k"
      echo "registry.k8s.io/kube-scheduler:v$k"
      echo "registry.k8s.io/kube-proxy:v$k"
      echo "registry.k8s.io/etcd:$et"
      echo "registry.k8s.io/pause:$p"
      echo "registry.k8s.io/coredns/coredns:v$(set_coredns "$k" "$dns")"
      echo "registry.k8s.io/provider-aws/cloud-controller-manager:v$ccm"
    done
    echo "ghcr.io/flannel-io/flannel:v$FLANNEL_VERSION"
    echo "ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_PLUGIN_TAG"
    echo "docker.io/library/busybox:$BUSYBOX_TAG"
  } | awk '!seen[$0]++'
}

push_addr=""
goarch=""
# assemble REF LAYER... -- CRANE-MUTATE-FLAG... : push the layers onto an empty OCI base as
# <push_addr>/REF, then set the platform and the config.
declare -A pushed=()
assemble() {
  local ref="$1"; shift
  # an image both sets name alike (the same pause version) is pushed once
  if [ -n "${pushed[$ref]:-}" ]; then log "  $ref pushed already"; return 0; fi
  pushed[$ref]=1
  local layers=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do layers+=(-f "$1"); shift; done
  [ $# -gt 0 ] && shift
  local dst="$push_addr/$ref" crane out; crane="$(crane_bin)"
  out="$(mktemp)"
  if ! "$crane" --insecure append --oci-empty-base "${layers[@]}" -t "$dst" >"$out" 2>&1 ||
    ! "$crane" --insecure mutate "$dst" --set-platform "linux/$goarch" -t "$dst" \
      -l "io.haform.rebuilt-from=$ref" "$@" >>"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"; die "could not push $ref"
  fi
  rm -f "$out"
  log "  pushed $ref"
}

# bin_layer DIR TAR SRC:DEST[:MODE[:CAPS]]... : a layer of single files.
bin_layer() {
  local d="$1" out="$2" spec src dst mode caps; shift 2
  mkdir -p "$d"
  for spec in "$@"; do
    IFS=: read -r src dst mode caps <<<"$spec"
    mkdir -p "$d$(dirname "$dst")"
    install -m "${mode:-0755}" "$src" "$d$dst"
    [ -z "$caps" ] || setcap "$caps" "$d$dst"
  done
  layer "$d" "$out"
}

build_images() {
  local w="$1"
  local fb; fb="$(bin_of flannel "$FLANNEL_VERSION")"
  local fcni; read -r -a fcni <<<"$(flannel_cni_dir)"
  local L="$w/layers"; mkdir -p "$L"

  step "root file systems"
  make_static_base "$w/static"; layer "$w/static" "$L/static.tar"

  # distroless-iptables: base (glibc) + ipset, iptables, kmod and their direct dependencies, nft, and
  # dash with the commands the wrapper installer needs.
  local ipt="$w/iptables"; usrmerge "$ipt"
  stage_pkg libc6 "$ipt"
  local p; for p in ipset iptables kmod; do stage_pkg_deps "$p" "$ipt"; done
  stage_bin /usr/sbin/nft "$ipt"
  for p in /bin/dash /bin/cat /bin/chmod /bin/grep /bin/ln /bin/rm /bin/sleep /usr/bin/wc; do stage_bin "$p" "$ipt"; done
  ln -sfn dash "$ipt/usr/bin/sh"
  install_iptables_wrapper "$ipt"
  layer "$ipt" "$L/iptables.tar"

  # flannel: alpine + iproute2 ca-certificates nftables iptables (+ iptables-wrapper) upstream.
  local fl="$w/flannel-base"; usrmerge "$fl"
  stage_pkg libc6 "$fl"
  stage_pkg_deps iptables "$fl"
  stage_bin /usr/sbin/nft "$fl"
  stage_bin /usr/bin/ip "$fl"
  install_iptables_wrapper "$fl"
  busybox_links "$fl"
  layer "$fl" "$L/flannel-base.tar"

  # busybox for the flannel CNI plugin image (alpine upstream: /bin/sh and cp)
  local bb="$w/busybox-base"; usrmerge "$bb"; busybox_links "$bb"; layer "$bb" "$L/busybox-base.tar"

  # docker.io/library/busybox: every applet as a hard link to /bin/busybox, /etc/passwd and group.
  local bi="$w/busybox"
  mkdir -p "$bi/bin" "$bi/etc" "$bi/root" "$bi/tmp" "$bi/home" "$bi/usr/sbin" "$bi/var/spool/mail" "$bi/var/www"
  install -m 0755 /bin/busybox "$bi/bin/busybox"
  local a; while read -r a; do [ "$a" = busybox ] || ln "$bi/bin/busybox" "$bi/bin/$a"; done < <(/bin/busybox --list)
  printf 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\noperator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$bi/etc/passwd"
  printf 'root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:root\nmail:x:8:\nwww-data:x:33:\noperator:x:37:\nstaff:x:50:\nusers:x:100:\nnogroup:x:65534:\n' >"$bi/etc/group"
  chmod 1777 "$bi/tmp"; chmod 700 "$bi/root"
  layer "$bi" "$L/busybox.tar"

  step_done "root file systems"

  step "images into $push_addr"
  local vset k e et p dns ccm
  for vset in "${SETS[@]}"; do
    read -r k e et p dns ccm <<<"$(set_versions "$vset")"
    set_images "$w/$vset" "$L" "$k" "$e" "$et" "$p" "$(set_coredns "$k" "$dns")" "$ccm"
  done

  local mkopts; mkopts="$(go mod download -json "github.com/flannel-io/flannel@v$FLANNEL_VERSION" | jq -r .Dir)/dist/mk-docker-opts.sh"
  bin_layer "$w/flanneld" "$L/flanneld.tar" "$fb/flannel:/opt/bin/flanneld" "$mkopts:/opt/bin/mk-docker-opts.sh"
  assemble "ghcr.io/flannel-io/flannel:v$FLANNEL_VERSION" "$L/static.tar" "$L/flannel-base.tar" "$L/flanneld.tar" -- \
    -e "$PATH_ENV" -e "$SSL_ENV" -w / --entrypoint=/opt/bin/flanneld

  bin_layer "$w/flannel-cni" "$L/flannel-cni.tar" "$(bin_of "${fcni[0]}" "${fcni[1]}")/flannel:/flannel"
  assemble "ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_PLUGIN_TAG" "$L/static.tar" "$L/busybox-base.tar" "$L/flannel-cni.tar" -- \
    -e "$PATH_ENV" -w / --cmd=/bin/sh

  assemble "docker.io/library/busybox:$BUSYBOX_TAG" "$L/busybox.tar" -- -e "$PATH_ENV" --cmd=sh
  step_done "images"
}

# set_images DIR LAYERS K8S ETCD ETCD_TAG PAUSE COREDNS CCM: the images of one version set (the
# shared base layers are in LAYERS), built in DIR.
set_images() {
  local w="$1" L0="$2" k="$3" e="$4" et="$5" p="$6" dns="$7" ccm="$8" n
  local kb eb cb L="$1/layers"
  kb="$(bin_of kubernetes "$k")"; eb="$(bin_of etcd "$e")"; cb="$(bin_of cloud-provider-aws "$ccm")"
  mkdir -p "$L"
  bin_layer "$w/go-runner" "$L/go-runner.tar" "$(bin_of kube-log-runner "$k")/kube-log-runner:/go-runner"
  local kube_cfg=(-e "$PATH_ENV" -e "$SSL_ENV" -w / -u 0 --entrypoint=/go-runner)
  for n in kube-apiserver kube-controller-manager kube-scheduler; do
    local caps=""; [ "$n" = kube-apiserver ] && caps="cap_net_bind_service=+ep"
    bin_layer "$w/$n" "$L/$n.tar" "$kb/$n:/usr/local/bin/$n:0755:$caps"
    assemble "registry.k8s.io/$n:v$k" "$L0/static.tar" "$L/go-runner.tar" "$L/$n.tar" -- "${kube_cfg[@]}"
  done
  bin_layer "$w/kube-proxy" "$L/kube-proxy.tar" "$kb/kube-proxy:/usr/local/bin/kube-proxy"
  assemble "registry.k8s.io/kube-proxy:v$k" "$L0/static.tar" "$L0/iptables.tar" "$L/go-runner.tar" "$L/kube-proxy.tar" -- "${kube_cfg[@]}"

  mkdir -p "$w/etcd/var/etcd" "$w/etcd/var/lib/etcd"
  bin_layer "$w/etcd" "$L/etcd.tar" "$eb/etcd:/usr/local/bin/etcd" "$eb/etcdctl:/usr/local/bin/etcdctl" "$eb/etcdutl:/usr/local/bin/etcdutl"
  assemble "registry.k8s.io/etcd:$et" "$L0/static.tar" "$L/etcd.tar" -- \
    -e "$PATH_ENV" -e "$SSL_ENV" -u 0 -w /var/lib/etcd --cmd=/usr/local/bin/etcd --exposed-ports=2379/tcp,2380/tcp

  bin_layer "$w/pause" "$L/pause.tar" "$(bin_of pause "$p")/pause:/pause"
  assemble "registry.k8s.io/pause:$p" "$L/pause.tar" -- -e "$PATH_ENV" -u 65535:65535 --entrypoint=/pause

  bin_layer "$w/coredns" "$L/coredns.tar" "$(bin_of coredns "$dns")/coredns:/coredns:0755:cap_net_bind_service=+ep"
  assemble "registry.k8s.io/coredns/coredns:v$dns" "$L0/static.tar" "$L/coredns.tar" -- \
    -e "$PATH_ENV" -e "$SSL_ENV" -u nonroot:nonroot -w / --entrypoint=/coredns --exposed-ports=53/tcp,53/udp

  bin_layer "$w/ccm" "$L/ccm.tar" "$cb/aws-cloud-controller-manager:/bin/aws-cloud-controller-manager"
  assemble "registry.k8s.io/provider-aws/cloud-controller-manager:v$ccm" \
    "$L0/static.tar" "$L/go-runner.tar" "$L/ccm.tar" -- \
    -e "$PATH_ENV" -e "$SSL_ENV" -u 0 -w / --entrypoint=/bin/aws-cloud-controller-manager
}

cmd_build() {
  build_components
  goarch="$(go env GOARCH)"
  if [ -f "$storage/.done" ]; then log "images cached in $storage"; echo "$storage"; return 0; fi
  mkdir -p "$reg_root"
  local tmp="$storage.tmp" w
  rm -rf "$tmp"; mkdir -p "$tmp/data"
  w="$(mktemp -d "$reg_root/.work.XXXXXX")"
  trap 'stop_registry; rm -rf "$w"' EXIT
  write_registry_config "$w/registry.yml" false
  push_addr="127.0.0.1:$(free_port)"
  start_registry "$w/registry.yml" "$tmp/data" "$push_addr" "$w/registry.log"
  build_images "$w"
  stop_registry
  image_refs >"$tmp/images.txt"
  write_registry_config "$tmp/serve.yml" true
  rm -rf "$storage" && mv "$tmp" "$storage"
  touch "$storage/.done"
  rm -rf "$w"; trap - EXIT
  # storage folders of other keys are stale (another version or recipe): 230 MB each, rebuilt in a minute
  local old
  for old in "$reg_root"/k8s-*; do
    [ "$old" = "$storage" ] || [ ! -d "$old" ] || { log "removing stale $old"; rm -rf "$old"; }
  done
  log "images in $storage"
  echo "$storage"
}

cmd_serve() {
  local addr="${1:?usage: build-images.sh serve ADDR}"
  [ -f "$storage/.done" ] || cmd_build >/dev/null
  log "serving $storage on http://$addr (read-only)"
  REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$storage/data" REGISTRY_HTTP_ADDR="$addr" OTEL_TRACES_EXPORTER=none \
    exec "$(registry_bin)" serve "$storage/serve.yml"
}

# hosts ADDR DIR: DIR/<host>/hosts.toml for each upstream registry of the images.
cmd_hosts() {
  local addr="${1:?usage: build-images.sh hosts ADDR DIR}" dir="${2:?usage: build-images.sh hosts ADDR DIR}" h server
  for h in $(image_refs | cut -d/ -f1 | sort -u); do
    server="https://$h"; [ "$h" = docker.io ] && server="https://registry-1.docker.io"
    mkdir -p "$dir/$h"
    cat >"$dir/$h/hosts.toml" <<EOF
# $h served by the drill's local registry (scripts/build-images.sh serve $addr)
server = "$server"

[host."http://$addr/v2/$h"]
  capabilities = ["pull", "resolve"]
  override_path = true
EOF
  done
}

# ---------------------------------------------------------------------------------------------------
# verify

vscratch=""
ctrd_pid=""
ctrd_sock=""
ctrd_bin=""
stop_containerd() {
  [ -n "$ctrd_pid" ] || return 0
  local ns t
  # end what still runs in it: its tasks, then containerd, then any shim left (their command
  # lines name this containerd's socket)
  for ns in $("$ctrd_bin/ctr" -a "$ctrd_sock" namespaces ls -q 2>/dev/null); do
    for t in $("$ctrd_bin/ctr" -a "$ctrd_sock" -n "$ns" tasks ls -q 2>/dev/null); do
      "$ctrd_bin/ctr" -a "$ctrd_sock" -n "$ns" tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
      sleep 0.2
      "$ctrd_bin/ctr" -a "$ctrd_sock" -n "$ns" tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  done
  kill "$ctrd_pid" 2>/dev/null || true
  wait "$ctrd_pid" 2>/dev/null || true
  ctrd_pid=""
  local pat="$vscratch/pattern" pid
  printf '%s\n' "$ctrd_sock" >"$pat"
  while read -r pid; do
    [ "$pid" = $$ ] || kill "$pid" 2>/dev/null || true
  done < <(grep -l -s -F -f "$pat" /proc/[0-9]*/cmdline | cut -d/ -f3)
}
verify_cleanup() {
  local rc=$?
  stop_containerd
  stop_registry
  if [ -n "$vscratch" ] && [ -d "$vscratch" ]; then
    local m
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(awk -v s="$vscratch/" 'index($2, s) == 1 {print $2}' /proc/self/mounts | sort -r)
    rm -rf "$vscratch"
  fi
  exit "$rc"
}

# ctrq ARG...: ctr on the scratch containerd, without its cgroup v1 deprecation warning on each call
# (its stderr comes after its stdout).
ctrq() {
  local rc=0
  "$ctrd_bin/ctr" -a "$ctrd_sock" "$@" 2>"$vscratch/ctr.err" || rc=$?
  grep -v 'support for cgroup v1 is deprecated' "$vscratch/ctr.err" >&2 || true
  return "$rc"
}

# start_containerd SNAPSHOTTER: a containerd of its own (root, state, sockets in the scratch folder)
# whose CRI plugin pulls through the hosts.toml files of $vscratch/certs.d; runc with cgroupfs.
start_containerd() {
  local snap="$1" s="$vscratch"
  ctrd_sock="$s/containerd.sock"
  cat >"$s/config.toml" <<EOF
version = 3
root = "$s/root"
state = "$s/state"
disabled_plugins = ["io.containerd.nri.v1.nri"]
[grpc]
  address = "$ctrd_sock"
[ttrpc]
  address = "$ctrd_sock.ttrpc"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "$snap"
[plugins.'io.containerd.cri.v1.images'.registry]
  config_path = "$s/certs.d"
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  SystemdCgroup = false
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
EOF
  PATH="$ctrd_bin:$PATH" "$ctrd_bin/containerd" --config "$s/config.toml" >>"$s/containerd.log" 2>&1 &
  ctrd_pid=$!
  for _ in $(seq 1 150); do
    [ -S "$ctrd_sock" ] && "$ctrd_bin/ctr" -a "$ctrd_sock" version >/dev/null 2>&1 && return 0
    kill -0 "$ctrd_pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$s/containerd.log" >&2; die "containerd did not start"
}

cmd_verify() {
  cmd_build >/dev/null
  local addr="${1:-127.0.0.1:$(free_port 5000)}" crane ref repo
  crane="$(crane_bin)"
  vscratch="$(mktemp -d /tmp/haform-verify.XXXXXX)"
  trap verify_cleanup EXIT
  step "registry on $addr, crane checks"
  start_registry "$storage/serve.yml" "$storage/data" "$addr" "$vscratch/registry.log"
  echo "== crane catalog $addr"; "$crane" --insecure catalog "$addr"
  while read -r ref; do
    repo="${ref%:*}"
    echo "== $ref"
    echo "crane ls $addr/$repo: $("$crane" --insecure ls "$addr/$repo" | tr '\n' ' ')"
    "$crane" --insecure manifest "$addr/$ref" | jq -c '{mediaType, layers: [.layers[] | .size]}'
    "$crane" --insecure config "$addr/$ref" |
      jq -c '{os, architecture, config: (.config | {Entrypoint, Cmd, User, WorkingDir, Env})}'
  done < <(image_refs)
  step_done "registry + crane checks"

  step "containerd $CONTAINERD_VERSION (CRI pulls through hosts.toml) + runc"
  upstream_component containerd "$CONTAINERD_VERSION"
  upstream_component cri-tools "$CRI_TOOLS_VERSION"
  command -v runc >/dev/null || { log "installing runc"; apt-get install -y -qq --no-install-recommends runc >/dev/null; }
  ctrd_bin="$(bin_of containerd "$CONTAINERD_VERSION")"
  cmd_hosts "$addr" "$vscratch/certs.d"
  local snap=overlayfs
  start_containerd "$snap"
  local ctr=(ctrq -n k8s.io)
  local crictl=("$(bin_of cri-tools "$CRI_TOOLS_VERSION")/crictl" --config /dev/null
    --runtime-endpoint "unix://$ctrd_sock" --image-endpoint "unix://$ctrd_sock" --timeout 120s)
  # pull IMAGE: through the CRI plugin (its registry.config_path is certs.d) on overlayfs; the CRI
  # plugin of containerd 2.x does not unpack for the native snapshotter, so there ctr pulls with
  # --hosts-dir certs.d (the same hosts.toml resolver).
  pull() {
    if [ "$snap" = overlayfs ]; then "${crictl[@]}" pull "$1"
    else "${ctr[@]}" images pull --snapshotter "$snap" --hosts-dir "$vscratch/certs.d" "$1" >/dev/null && echo "pulled $1"; fi
  }
  if [ "$(ctrq plugins ls | awk '$1 == "io.containerd.snapshotter.v1" && $2 == "overlayfs" {print $4}')" != ok ]; then
    snap=native; log "overlayfs is not usable here: native snapshotter, ctr pulls"; stop_containerd; start_containerd "$snap"
  fi
  echo "== $vscratch/certs.d/registry.k8s.io/hosts.toml"; cat "$vscratch/certs.d/registry.k8s.io/hosts.toml"
  local pause="registry.k8s.io/pause:$PAUSE_VERSION"
  echo "== pull $pause ($([ "$snap" = overlayfs ] && echo "crictl, containerd's CRI with config_path = certs.d" || echo "ctr --hosts-dir certs.d"))"
  pull "$pause"
  if [ "$snap" = overlayfs ]; then "${crictl[@]}" images; fi
  echo "== ctr run (runc, cgroupfs, $snap) $pause"
  "${ctr[@]}" run -d --snapshotter "$snap" "$pause" haform-pause
  sleep 1
  "${ctr[@]}" tasks ls
  local pid; pid="$("${ctr[@]}" tasks ls | awk '$1 == "haform-pause" {print $2}')"
  echo "cgroup of the pause process: $(grep -E ':(memory|pids):' "/proc/$pid/cgroup" | tr '\n' ' ')"
  "${ctr[@]}" tasks kill -s SIGTERM haform-pause
  local n; for n in $(seq 1 50); do "${ctr[@]}" tasks ls | grep -q 'haform-pause.*RUNNING' || break; sleep 0.1; done
  "${ctr[@]}" tasks ls | grep haform-pause || true
  "${ctr[@]}" tasks delete haform-pause >/dev/null 2>&1 || true
  "${ctr[@]}" containers rm haform-pause
  step_done "containerd pull + run pause"

  # Every image, pulled through the mirror and run once with a command that shows its contents work.
  step "each image pulled through the mirror and run"
  local checks=() vset k e et p dns ccm
  for vset in "${SETS[@]}"; do
    read -r k e et p dns ccm <<<"$(set_versions "$vset")"
    dns="$(set_coredns "$k" "$dns")"
    checks+=(
      "registry.k8s.io/kube-apiserver:v$k|/go-runner kube-apiserver --version"
      "registry.k8s.io/kube-controller-manager:v$k|/go-runner kube-controller-manager --version"
      "registry.k8s.io/kube-scheduler:v$k|/go-runner kube-scheduler --version"
      "registry.k8s.io/kube-proxy:v$k|/bin/sh -c kube-proxy --version; iptables --version; ip6tables-save --version; nft --version; ipset --version || true"
      "registry.k8s.io/etcd:$et|/usr/local/bin/etcd --version"
      "registry.k8s.io/etcd:$et|etcdutl version"
      "registry.k8s.io/coredns/coredns:v$dns|/coredns -version"
      "registry.k8s.io/provider-aws/cloud-controller-manager:v$ccm|/bin/aws-cloud-controller-manager --version"
    )
  done
  checks+=(
    "ghcr.io/flannel-io/flannel:v$FLANNEL_VERSION|/bin/sh -c /opt/bin/flanneld --version; iptables --version; mkdir -p /etc/kube-flannel /etc/cni/net.d; echo {} >/etc/kube-flannel/cni-conf.json; cp -f /etc/kube-flannel/cni-conf.json /etc/cni/net.d/10-flannel.conflist && echo cp ok"
    "ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_PLUGIN_TAG|/bin/sh -c mkdir -p /opt/cni/bin; cp -f /flannel /opt/cni/bin/flannel && ls -l /opt/cni/bin/flannel"
    "docker.io/library/busybox:$BUSYBOX_TAG|sh -c echo busybox ok; id; busybox | head -1"
  )
  local c img args
  n=0
  for c in "${checks[@]}"; do
    img="${c%%|*}"; args="${c#*|}"; n=$((n + 1))
    pull "$img" >/dev/null
    echo "== $img: $args"
    if [[ "$args" == *" -c "* ]]; then
      "${ctr[@]}" run --rm --snapshotter "$snap" "$img" "haform-check-$n" "${args%% -c *}" -c "${args#* -c }"
    else
      # shellcheck disable=SC2086 # the check's words are its argv
      "${ctr[@]}" run --rm --snapshotter "$snap" "$img" "haform-check-$n" $args
    fi
  done
  if [ "$snap" = overlayfs ]; then "${crictl[@]}" images; fi
  echo "== file capabilities as unpacked by containerd (upstream setcap's cap_net_bind_service)"
  find "$vscratch/root/io.containerd.snapshotter.v1.$snap/snapshots" \( -path '*/fs/usr/local/bin/kube-apiserver' -o -path '*/fs/coredns' \) \
    -exec getcap {} + | sed "s#$vscratch/root/##"
  step_done "each image run"
  report_timings
}

case "${1:-}" in
  build) cmd_build; report_timings ;;
  serve) shift; cmd_serve "$@" ;;
  hosts) shift; cmd_hosts "$@" ;;
  verify) shift; cmd_verify "$@" ;;
  components) build_components; report_timings ;;
  images) image_refs ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
