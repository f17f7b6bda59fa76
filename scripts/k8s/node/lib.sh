# shellcheck shell=bash disable=SC2034 # the variables set here are read by the scripts that source it
# Shared settings of the real-node scripts (build.sh, cluster.sh). Source it; do not run it.
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NODE_SCRIPTS_DIR="$K8S_SCRIPTS_DIR/node"
NODE_TOOLS_DIR="$NODE_SCRIPTS_DIR/tools"

CNI_VERSION=v1.9.1
COREDNS_VERSION=v1.15.0
KUBE_ROUTER_VERSION=v2.1.0
PAUSE_VERSION=3.10.1
PAUSE_IMAGE=localhost/local/pause:$PAUSE_VERSION
COREDNS_IMAGE=localhost/local/coredns:${COREDNS_VERSION#v}

# Bump when the way the node binaries are built changes: it is part of the node bin dir's key.
NODE_BUILD_RECIPE=1
NODE_BINARIES=(kubelet kube-proxy coredns kube-router pause cni/bridge cni/host-local cni/loopback cni/portmap
  images/pause.oci.tar images/coredns.oci.tar)

node_bin_dir() {
  k8s_versions
  local hash
  hash="$(
    cd "$NODE_SCRIPTS_DIR" &&
      { echo "recipe=$NODE_BUILD_RECIPE cni=$CNI_VERSION coredns=$COREDNS_VERSION kube-router=$KUBE_ROUTER_VERSION pause=$PAUSE_VERSION"
        cat tools/kubelet/go.mod tools/kubelet/go.sum; } | sha256sum | cut -c1-10
  )"
  NODE_BIN_DIR="$K8S_CACHE_DIR/node-bin-k8s${K8S_VERSION#v}-cni${CNI_VERSION#v}-coredns${COREDNS_VERSION#v}-kuberouter${KUBE_ROUTER_VERSION#v}-$hash"
}

node_bin_complete() {
  [[ -f $1/.complete ]] || return 1
  local b
  for b in "${NODE_BINARIES[@]}"; do [[ -s $1/$b ]] || return 1; done
}
