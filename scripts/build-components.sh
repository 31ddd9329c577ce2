#!/usr/bin/env bash
# Builds the real components of the Kubernetes drill from their Go modules and caches them outside
# the clone, one folder per component and version: $HAFORM_COMPONENTS/<name>-<version>/bin.
# A folder is complete only when its .done marker exists, so an interrupted build is redone.
#
#   scripts/build-components.sh            build everything the drill needs (skips what is cached)
#   scripts/build-components.sh NAME       build one component (kubernetes, etcd, runc, ...)
#   scripts/build-components.sh --print    print the cache root and exit
#
# Versions come from scripts/components.env (the drill's pins). Kubernetes, etcd and cloud-provider-aws
# are built for both of its sets (the default and the upgrade-from one); the rest is shared. Go
# builds use the ordinary module proxy and GOCACHE.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=components.env
. "$here/components.env"
root="${HAFORM_COMPONENTS:-/var/cache/haform/components}"
if [ "${1:-}" = "--print" ]; then echo "$root"; exit 0; fi
mkdir -p "$root"
export GOFLAGS="${GOFLAGS:--trimpath}" CGO_ENABLED=0 GOTOOLCHAIN=local

log() { echo "build-components: $*" >&2; }

# go_build NAME VERSION MODULE@VERSION PACKAGE... : a throwaway module that requires MODULE and builds
# the packages into $root/NAME-VERSION/bin. Extra go.mod lines come from $GOMOD_EXTRA.
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
    # -mod=mod resolves the rest of the build list (and go.sum) from the required modules' go.mod
    go build -mod=mod -ldflags="-s -w ${LDFLAGS_EXTRA:-}" -o "$dest/bin.tmp/" "$@"
  )
  rm -rf "${dest:?}/bin" && mv "$dest/bin.tmp" "$dest/bin"
  rm -rf "$work"
  touch "$dest/.done"
}

# Kubernetes: k8s.io/kubernetes replaces every staging module with a local path, so each is pinned
# to its published v0.Y.Z instead (the list is kubernetes's go.mod).
build_kubernetes() {
  local v
  # the drill's version and the one its upgrade drill starts from
  for v in $KUBERNETES_UPGRADE_FROM $KUBERNETES_VERSION; do build_kubernetes_version "$v"; done
}
build_kubernetes_version() {
  local v="$1" staging="v0.${1#1.}"
  local mod; mod="$(curl -fsS --retry 5 "https://proxy.golang.org/k8s.io/kubernetes/@v/v$v.mod")"
  local extra="" m
  for m in $(printf '%s\n' "$mod" | sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p'); do
    extra+="replace $m => $m $staging"$'\n'
  done
  local pkg="k8s.io/kubernetes/cmd"
  GOMOD_EXTRA="$extra" \
  LDFLAGS_EXTRA="-X k8s.io/component-base/version.gitVersion=v$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$v" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=v$v -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z" \
  go_build kubernetes "$v" "k8s.io/kubernetes@v$v" \
    "$pkg/kubeadm" "$pkg/kubelet" "$pkg/kube-apiserver" "$pkg/kube-controller-manager" \
    "$pkg/kube-scheduler" "$pkg/kubectl" "$pkg/kube-proxy"
}

# etcd and cloud-provider-aws: the version of each set (scripts/components.env), as the images of
# both are served (an upgrade runs the old set's etcd until kubeadm upgrades it).
build_etcd() {
  local v
  for v in $UPGRADE_FROM_ETCD_VERSION $ETCD_VERSION; do build_etcd_version "$v"; done
}
build_etcd_version() {
  local v="$1"
  LDFLAGS_EXTRA="" go_build etcd "$v" "go.etcd.io/etcd/server/v3@v$v go.etcd.io/etcd/etcdctl/v3@v$v go.etcd.io/etcd/etcdutl/v3@v$v" \
    go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3
  # the packages build as server, etcdctl, etcdutl: upstream names the server binary etcd
  local b="$root/etcd-$v/bin"; [ -f "$b/server" ] && mv "$b/server" "$b/etcd"; return 0
}

build_cloud-provider-aws() {
  local v
  for v in $UPGRADE_FROM_CLOUD_PROVIDER_AWS_VERSION $CLOUD_PROVIDER_AWS_VERSION; do build_cloud-provider-aws_version "$v"; done
}
build_cloud-provider-aws_version() {
  # the version as upstream's Dockerfile stamps it
  LDFLAGS_EXTRA="-X k8s.io/component-base/version.gitVersion=v$1" go_build cloud-provider-aws "$1" \
    "k8s.io/cloud-provider-aws@v$1" k8s.io/cloud-provider-aws/cmd/aws-cloud-controller-manager
}
build_cni-plugins() {
  go_build cni-plugins "$CNI_PLUGINS_VERSION" "github.com/containernetworking/plugins@v$CNI_PLUGINS_VERSION" \
    github.com/containernetworking/plugins/plugins/main/bridge github.com/containernetworking/plugins/plugins/main/loopback \
    github.com/containernetworking/plugins/plugins/ipam/host-local github.com/containernetworking/plugins/plugins/meta/portmap
}
build_flannel() {
  # flannel's UDP backend needs cgo on amd64 (static, as upstream's image); the tencentcloud common
  # module it pins is refused by the module proxy, the next patch is not.
  CGO_ENABLED=1 GOFLAGS="$GOFLAGS -tags=netgo,osusergo" \
  LDFLAGS_EXTRA="-extldflags=-static -X github.com/flannel-io/flannel/pkg/version.Version=v$FLANNEL_VERSION" \
    go_build flannel "$FLANNEL_VERSION" "github.com/flannel-io/flannel@v$FLANNEL_VERSION github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common@v1.3.80" \
    github.com/flannel-io/flannel
}
build_containerd() {
  go_build containerd "$CONTAINERD_VERSION" "github.com/containerd/containerd/v2@v$CONTAINERD_VERSION" \
    github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/ctr \
    github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2
}
build_cri-tools() { go_build cri-tools "$CRI_TOOLS_VERSION" "sigs.k8s.io/cri-tools@v$CRI_TOOLS_VERSION" sigs.k8s.io/cri-tools/cmd/crictl; }
build_distribution() {
  go_build distribution "$DISTRIBUTION_VERSION" "github.com/distribution/distribution/v3@v$DISTRIBUTION_VERSION" \
    github.com/distribution/distribution/v3/cmd/registry
}
build_runc() {
  # Debian 12's runc 1.1.5 fails to start CRI pod sandboxes under containerd 2.x here; runc needs cgo
  # and libseccomp (apt-get install libseccomp-dev) for its seccomp support, as upstream builds it.
  CGO_ENABLED=1 LDFLAGS_EXTRA="-X main.version=$RUNC_VERSION" GOFLAGS="$GOFLAGS -tags=seccomp" \
    go_build runc "$RUNC_VERSION" "github.com/opencontainers/runc@v$RUNC_VERSION" github.com/opencontainers/runc
}
build_crane() {
  go_build crane "$CRANE_VERSION" "github.com/google/go-containerregistry@v$CRANE_VERSION" github.com/google/go-containerregistry/cmd/crane
}

build_kube-bench() {
  local dest="$root/kube-bench-$KUBE_BENCH_VERSION"
  [ -f "$dest/.done" ] && { log "kube-bench $KUBE_BENCH_VERSION cached"; return 0; }
  go_build kube-bench-bin "$KUBE_BENCH_VERSION" "github.com/aquasecurity/kube-bench@v$KUBE_BENCH_VERSION" github.com/aquasecurity/kube-bench
  # The benchmark definitions are data of the module, not of the binary: its cfg/ beside it.
  mkdir -p "$dest"
  rm -rf "$dest/bin" "$dest/cfg"
  mv "$root/kube-bench-bin-$KUBE_BENCH_VERSION/bin" "$dest/bin"
  rm -rf "$root/kube-bench-bin-$KUBE_BENCH_VERSION"
  (cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "github.com/aquasecurity/kube-bench@v$KUBE_BENCH_VERSION" |
    sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' | xargs -I{} cp -r {}/cfg "$dest/cfg")
  chmod -R u+w "$dest/cfg"
  touch "$dest/.done"
}

# OpenTofu: its go.mod replaces hashicorp/hcl/v2 by OpenTofu's fork; the throwaway module repeats that
# one replace (read from the module's own go.mod), or the build would take upstream's hcl.
build_opentofu() {
  local mod replace
  mod="$(curl -fsS --retry 5 "https://proxy.golang.org/github.com/opentofu/opentofu/@v/v$OPENTOFU_VERSION.mod")"
  replace="$(printf '%s\n' "$mod" | sed -n 's#^replace \(github.com/hashicorp/hcl/v2\) v[^ ]* => \(.*\)$#replace \1 => \2#p')"
  [ -n "$replace" ] || { log "opentofu $OPENTOFU_VERSION: no replace of hashicorp/hcl/v2 in its go.mod: check the build"; return 1; }
  GOMOD_EXTRA="$replace" LDFLAGS_EXTRA="-X github.com/opentofu/opentofu/version.dev=no" \
    go_build opentofu "$OPENTOFU_VERSION" "github.com/opentofu/opentofu@v$OPENTOFU_VERSION" github.com/opentofu/opentofu/cmd/tofu
}

main() {
  local c
  for c in kubernetes etcd cloud-provider-aws cni-plugins flannel containerd runc cri-tools distribution crane kube-bench opentofu; do "build_$c"; done
  log "all components in $root"
}

if [ $# -gt 0 ]; then "build_$1"; else main; fi
