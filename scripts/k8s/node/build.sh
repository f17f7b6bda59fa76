#!/usr/bin/env bash
# Builds what a real worker node needs, from the Go module proxy and the k8s.io/kubernetes module
# (no Docker, no GitHub downloads), into .cache/k8s/node-bin-<versions>-<hash>/:
#   kubelet, kube-proxy          (scripts/k8s/node/tools/kubelet: same k8s version and stamps as
#                                 build-tools.sh; reuses its Go build cache in .cache/go)
#   cni/{bridge,host-local,loopback,portmap}   containernetworking/plugins
#   coredns                      (cluster DNS; its image has no forwarder: nothing leaves the machine)
#   kube-router                  (its NetworkPolicy firewall only)
#   pause                        (gcc -static from build/pause/linux/pause.c of the k8s.io/kubernetes module)
#   images/{pause,coredns}.oci.tar   FROM scratch with buildah (private vfs store), ready for `ctr import`
# A complete dir is reused as it is (well under a second).
#
# Usage: scripts/k8s/node/build.sh [--print-bin-dir]
# Environment: GO, K8S_BUILD_NICE (default 19).
# Cold (modules not downloaded, control plane already built): ~5-6 min on two shared cores; ~260 MB.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

node_bin_dir
[[ ${1:-} == --print-bin-dir ]] && { echo "$NODE_BIN_DIR"; exit 0; }
if node_bin_complete "$NODE_BIN_DIR"; then
  k8s_log "node binaries already built: $NODE_BIN_DIR"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[[ -x $GO ]] || k8s_die "no Go toolchain found (set GO=/path/to/go); Go >= 1.26 is needed"
command -v gcc >/dev/null || k8s_die "gcc is needed for the pause binary (apt-get install gcc libc6-dev; cluster.sh up installs them)"
command -v buildah >/dev/null || k8s_die "buildah is needed for the node images (scripts/k8s/node/cluster.sh up installs it)"

k8s_go_env
nice_cmd=(nice -n "${K8S_BUILD_NICE:-19}")
k8s_build_lock "$K8S_CACHE_DIR/.node-build.lock" "node binaries ($NODE_BIN_DIR)" node_bin_complete "$NODE_BIN_DIR"

tmp="$NODE_BIN_DIR.tmp"
rm -rf "$tmp"
mkdir -p "$tmp/cni" "$tmp/images"
timings=()
total_start=$SECONDS
timed() {
  local name=$1 start=$SECONDS
  shift
  k8s_log "build $name ..."
  "$@"
  timings+=("$(printf '%-28s %4ds' "$name" $((SECONDS - start)))")
  k8s_log "build $name: $((SECONDS - start))s"
}

# go install <pkg>@<version>: each module's own go.mod/go.sum, checked against the checksum database.
go_install() {
  local dest=$1
  shift
  GOBIN="$dest" GOFLAGS=-buildvcs=false "${nice_cmd[@]}" "$GO" install -trimpath -ldflags='-s -w' "$@"
}
cni=github.com/containernetworking/plugins/plugins
timed "cni plugins $CNI_VERSION" go_install "$tmp/cni" "$cni/main/bridge@$CNI_VERSION" "$cni/ipam/host-local@$CNI_VERSION" \
  "$cni/main/loopback@$CNI_VERSION" "$cni/meta/portmap@$CNI_VERSION"
timed "coredns $COREDNS_VERSION" go_install "$tmp" "github.com/coredns/coredns@$COREDNS_VERSION"
timed "kube-router $KUBE_ROUTER_VERSION" go_install "$tmp" "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$KUBE_ROUTER_VERSION"

# kubelet + kube-proxy: the very stamps build-tools.sh gives the control plane.
k8s_minor="${K8S_VERSION#v1.}"
k8s_minor="${k8s_minor%%.*}"
k8s_date="$(cd "$NODE_TOOLS_DIR/kubelet" && "$GO" list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' k8s.io/kubernetes)"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$k8s_date -X $pkg.gitCommit="
done
kube_build() {
  (cd "$NODE_TOOLS_DIR/kubelet" && GOFLAGS="-mod=readonly -buildvcs=false" "${nice_cmd[@]}" "$GO" build -trimpath \
    -ldflags "$k8s_ldflags" -o "$tmp/" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy)
}
# Last: by then the control plane build has compiled most of the packages kubelet shares.
timed "kubelet+kube-proxy $K8S_VERSION" kube_build

pause_build() {
  local src
  src="$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c"
  [[ -f $src ]] || (cd "$NODE_TOOLS_DIR/kubelet" && "$GO" mod download k8s.io/kubernetes)
  gcc -Os -Wall -Werror -static -DVERSION="$PAUSE_VERSION-local" -o "$tmp/pause" "$src"
  strip "$tmp/pause"
}
timed "pause $PAUSE_VERSION" pause_build

# Images FROM scratch in a private store (vfs, no RUN steps: no runtime needed), exported as OCI
# archives under the names the node uses.
# scratch_image <binary> <image> <uid:gid> <archive>: the binary alone FROM scratch as its entrypoint.
scratch_image() {
  local c
  c=$("${B[@]}" from scratch)
  "${B[@]}" copy "$c" "$tmp/$1" "/$1" >/dev/null
  "${B[@]}" config --entrypoint "[\"/$1\"]" --user "$3" "$c"
  "${B[@]}" commit -q "$c" "$2" >/dev/null
  "${B[@]}" rm "$c" >/dev/null
  "${B[@]}" push -q "$2" "oci-archive:$tmp/images/$4:$2"
}
images_build() {
  local store="$tmp/.buildah"
  B=(buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs)
  scratch_image pause "$PAUSE_IMAGE" 65535:65535 pause.oci.tar
  scratch_image coredns "$COREDNS_IMAGE" 65532:65532 coredns.oci.tar
  chmod -R u+w "$store" && rm -rf "$store"
}
timed "images" images_build

for b in "${NODE_BINARIES[@]}"; do [[ -s $tmp/$b ]] || k8s_die "build produced no $b"; done
{
  echo "go=$("$GO" env GOVERSION) recipe=$NODE_BUILD_RECIPE built=$(date -u +%FT%TZ)"
  echo "kubernetes=$K8S_VERSION cni=$CNI_VERSION coredns=$COREDNS_VERSION kube-router=$KUBE_ROUTER_VERSION pause=$PAUSE_VERSION"
  printf '%s\n' "${timings[@]}"
} >"$tmp/BUILDINFO"
touch "$tmp/.complete"
rm -rf "$NODE_BIN_DIR"
mv "$tmp" "$NODE_BIN_DIR"
for old in "$K8S_CACHE_DIR"/node-bin-*; do
  [[ -d $old && $old != "$NODE_BIN_DIR" && $old != *.tmp ]] || continue
  k8s_log "removing old node bin dir $old"
  rm -rf "$old"
done
k8s_log "timings:"
printf '  %s\n' "${timings[@]}" >&2
k8s_log "total $((SECONDS - total_start))s; $(du -sh "$NODE_BIN_DIR" | cut -f1) in $NODE_BIN_DIR"
