#!/usr/bin/env bash
# Builds the local Kubernetes toolchain from the Go module proxy (no Docker, no GitHub downloads):
#   kube-apiserver kube-controller-manager kube-scheduler kubectl  (scripts/k8s/tools/kubernetes)
#   etcd                                                         (scripts/k8s/tools/etcd)
#   helm, kwok, kind                                             (scripts/k8s/tools/{helm,kwok,kind})
# plus kwok's own stage configs, into .cache/k8s/bin-<versions>-<hash>/. A complete bin dir is reused
# as it is, so the warm path takes well under a second.
#
# Usage: scripts/k8s/build-tools.sh [--print-bin-dir] [--force]
#   --print-bin-dir  print the bin dir this checkout uses and exit (builds nothing)
#   --force          rebuild even if the bin dir is complete
# Environment: GO (go binary), K8S_BUILD_NICE (niceness of the builds, default 10),
#   K8S_KEEP_OLD_BINS=1 keeps other bin-* dirs (by default a successful build removes them).
#
# Cold: ~12 min of CPU (8-16 min on two shared cores), 1.5 GB of modules + 4.4 GB of build cache
# under .cache/go, 470 MB of binaries. Warm caches but a new key (e.g. a new recipe): ~25 s.
# The binaries are bit-for-bit reproducible (-trimpath, stamps from the module versions).
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
for arg in "$@"; do
  case $arg in
    --print-bin-dir) k8s_bin_dir; echo "$K8S_BIN_DIR"; exit 0 ;;
    --force) force=1 ;;
    -h | --help) k8s_usage "$0"; exit 0 ;;
    *) k8s_die "unknown argument: $arg (see --help)" ;;
  esac
done

k8s_bin_dir
if [[ $force == 0 ]] && k8s_bin_complete "$K8S_BIN_DIR"; then
  k8s_log "tools already built: $K8S_BIN_DIR"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[[ -x $GO ]] || k8s_die "no Go toolchain found (set GO=/path/to/go); Go >= 1.26 is needed"
go_version="$("$GO" env GOVERSION)"
# etcd 3.6.16, helm 3.22 and kwok 0.8 declare `go 1.26.0`.
if ! [[ $go_version =~ ^go1\.([0-9]+) ]] || ((BASH_REMATCH[1] < 26)); then
  k8s_die "$GO is $go_version; Go >= 1.26 is needed"
fi

k8s_go_env
# -mod=readonly: build exactly what the committed go.mod/go.sum say, never rewrite them.
export GOFLAGS="-mod=readonly -buildvcs=false"
nice_cmd=(nice -n "${K8S_BUILD_NICE:-10}")

built_meanwhile() { [[ $force == 0 ]] && k8s_bin_complete "$K8S_BIN_DIR"; }
k8s_build_lock "$K8S_CACHE_DIR/.build.lock" "tools ($K8S_BIN_DIR)" built_meanwhile

tmp="$K8S_BIN_DIR.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
k8s_log "building into $K8S_BIN_DIR with $go_version (GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE)"

timings=()
total_start=$SECONDS
# step <name> <module dir> <go build args...>
step() {
  local name=$1 dir=$2 start=$SECONDS
  shift 2
  k8s_log "go build $name ..."
  (cd "$K8S_TOOLS_DIR/$dir" && "${nice_cmd[@]}" "$GO" build -trimpath -o "$tmp/" "$@")
  timings+=("$(printf '%-28s %4ds' "$name" $((SECONDS - start)))")
  k8s_log "go build $name: $((SECONDS - start))s"
}
# mod_time <module dir> <module path>: the module's publish time, for a reproducible build date.
mod_time() {
  (cd "$K8S_TOOLS_DIR/$1" && "$GO" list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2")
}

# Kubernetes: without the stamps the server says v0.0.0-master and helm's kubeVersion checks fail.
# These are the variables hack/lib/version.sh sets in a release build.
k8s_minor="${K8S_VERSION#v1.}"
k8s_minor="${k8s_minor%%.*}"
k8s_date="$(mod_time kubernetes k8s.io/kubernetes)"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$k8s_date -X $pkg.gitCommit="
done
step "kubernetes $K8S_VERSION" kubernetes -ldflags "$k8s_ldflags" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

step "etcd $ETCD_VERSION" etcd -ldflags "-s -w" ./cmd/etcd

# Helm's Makefile stamps its version and the Kubernetes version of its client libraries (the
# default .Capabilities.KubeVersion of `helm template`).
helm_kube="$(cd "$K8S_TOOLS_DIR/helm" && "$GO" list -m -f '{{.Version}}' k8s.io/client-go)" # v0.37.0
helm_kube_minor="${helm_kube#v0.}"
helm_kube_minor="${helm_kube_minor%%.*}"
step "helm $HELM_VERSION" helm -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
  -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$helm_kube_minor \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$helm_kube_minor" \
  helm.sh/helm/v3/cmd/helm

step "kwok $KWOK_VERSION" kwok -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION \
  -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$K8S_VERSION" sigs.k8s.io/kwok/cmd/kwok

step "kind $KIND_VERSION" kind -ldflags "-s -w -buildid=" sigs.k8s.io/kind

# kwok's "fast" stages (node-initialize, node-heartbeat-with-lease, pod-ready/complete/delete)
# from the kwok module itself, so they always match the kwok binary. (Our own extra stages in
# scripts/k8s/kwok/ are passed to kwok by control-plane.sh.)
kwok_dir="$(cd "$K8S_TOOLS_DIR/kwok" && "$GO" mod download sigs.k8s.io/kwok && "$GO" list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
[[ -d $kwok_dir/kustomize/stage ]] || k8s_die "kwok module has no kustomize/stage (dir: $kwok_dir)"
mkdir -p "$tmp/kwok-stages"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  cp "$kwok_dir/kustomize/stage/$f" "$tmp/kwok-stages/"
done
for f in "$tmp"/kwok-stages/*.yaml; do
  printf -- '---\n# %s\n' "$(basename "$f")"
  sed '/^---$/d' "$f"
done >"$tmp/kwok-stages.yaml"
chmod -R u+w,go-w "$tmp"

for b in "${K8S_BINARIES[@]}"; do [[ -x $tmp/$b ]] || k8s_die "build produced no $b"; done
{
  echo "go=$go_version recipe=$K8S_BUILD_RECIPE built=$(date -u +%FT%TZ)"
  echo "kubernetes=$K8S_VERSION etcd=$ETCD_VERSION helm=$HELM_VERSION kwok=$KWOK_VERSION kind=$KIND_VERSION"
  printf '%s\n' "${timings[@]}"
} >"$tmp/BUILDINFO"
touch "$tmp/.complete"
rm -rf "$K8S_BIN_DIR"
mv "$tmp" "$K8S_BIN_DIR"

if [[ ${K8S_KEEP_OLD_BINS:-0} != 1 ]]; then
  for old in "$K8S_CACHE_DIR"/bin-*; do
    [[ -d $old && $old != "$K8S_BIN_DIR" ]] || continue
    k8s_log "removing old bin dir $old (K8S_KEEP_OLD_BINS=1 keeps it)"
    rm -rf "$old"
  done
fi

k8s_log "timings:"
printf '  %s\n' "${timings[@]}" >&2
k8s_log "total $((SECONDS - total_start))s; binaries $(du -sh "$K8S_BIN_DIR" | cut -f1) in $K8S_BIN_DIR"
