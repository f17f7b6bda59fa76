# shellcheck shell=bash disable=SC2034 # the variables set here are read by the scripts that source it
# Shared settings for build-tools.sh and control-plane.sh. Source it; do not run it.
#
# Everything this produces lives under $K8S_CACHE_DIR (default <repo>/.cache/k8s); the Go caches
# live under <repo>/.cache/go so a cold machine fills the same place a warm one reads.

K8S_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_REPO_ROOT="$(cd "$K8S_SCRIPTS_DIR/../.." && pwd)"
K8S_TOOLS_DIR="$K8S_SCRIPTS_DIR/tools"
CACHE_ROOT="${CACHE_ROOT:-$K8S_REPO_ROOT/.cache}"
K8S_CACHE_DIR="${K8S_CACHE_DIR:-$CACHE_ROOT/k8s}"
K8S_RUN_DIR="${K8S_RUN_DIR:-$K8S_CACHE_DIR/run}"

# Bump when the way the binaries are built changes (flags, stamps, copied files): it is part of
# the bin dir's key, so a changed recipe builds a fresh dir instead of trusting an old one.
K8S_BUILD_RECIPE=1

# The binaries a complete bin dir holds.
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd helm kwok kind)

# k8s_usage <script>: print the script's leading comment block, without the "# ".
k8s_usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"; }

k8s_log() { printf '[k8s %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
k8s_die() { k8s_log "error: $*"; exit 1; }

# k8s_gomod_version <module dir> <module path>: the version a wrapper go.mod requires.
k8s_gomod_version() {
  awk -v m="$2" '
    { sub(/^require[ \t]+/, "") }
    $1 == m && $2 ~ /^v[0-9]/ { print $2; exit }
  ' "$K8S_TOOLS_DIR/$1/go.mod"
}

k8s_versions() {
  K8S_VERSION="$(k8s_gomod_version kubernetes k8s.io/kubernetes)"
  ETCD_VERSION="$(k8s_gomod_version etcd go.etcd.io/etcd/server/v3)"
  HELM_VERSION="$(k8s_gomod_version helm helm.sh/helm/v3)"
  KWOK_VERSION="$(k8s_gomod_version kwok sigs.k8s.io/kwok)"
  KIND_VERSION="$(k8s_gomod_version kind sigs.k8s.io/kind)"
  local v
  for v in "$K8S_VERSION" "$ETCD_VERSION" "$HELM_VERSION" "$KWOK_VERSION" "$KIND_VERSION"; do
    [[ -n $v ]] || k8s_die "could not read a tool version from $K8S_TOOLS_DIR/*/go.mod"
  done
}

# The bin dir's name carries the versions plus a hash of everything that decides the build:
# the wrapper modules, the etcd main and the recipe number.
k8s_bin_dir() {
  k8s_versions
  local hash
  hash="$(
    cd "$K8S_SCRIPTS_DIR" &&
      { echo "recipe=$K8S_BUILD_RECIPE"; cat tools/*/go.mod tools/*/go.sum tools/etcd/cmd/etcd/main.go; } |
      sha256sum | cut -c1-10
  )"
  K8S_BIN_DIR="$K8S_CACHE_DIR/bin-k8s${K8S_VERSION#v}-etcd${ETCD_VERSION#v}-helm${HELM_VERSION#v}-kwok${KWOK_VERSION#v}-kind${KIND_VERSION#v}-$hash"
}

# A bin dir is complete when build-tools.sh wrote its marker last, after every file.
k8s_bin_complete() {
  [[ -f $1/.complete ]] || return 1
  local b
  for b in "${K8S_BINARIES[@]}"; do [[ -x $1/$b ]] || return 1; done
  [[ -f $1/kwok-stages.yaml ]]
}
