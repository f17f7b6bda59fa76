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

# ---------------------------------------------------------------- background components
# Shared by control-plane.sh and node/cluster.sh; both set PIDS (pid files) and LOGS (log files) and
# RUN (every component's command line names a path under it).

# component_pid <name>: the pid of a running component (its pid file's process still runs the binary
# it was started as, with arguments under $RUN), or fail.
component_pid() {
  local file="$PIDS/$1.pid" pid exe cmdline
  [[ -f $file ]] || return 1
  read -r pid exe <"$file" || return 1
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  cmdline="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ ${cmdline%%$'\n'*} == "$exe" && $cmdline == *"$RUN/"* ]] || return 1
  echo "$pid"
}

port_in_use() { command -v ss >/dev/null && [[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# start <component> [port...] -- [VAR=value...] <binary> <args...>: in the background, in its own
# session, logging to $LOGS/<component>.log; returns once the binary runs (not while the shell is still
# on its way to exec it: a check in that instant would take it for dead).
start() {
  local name=$1 ports=() envs=() pid port deadline
  shift
  while [[ $1 != -- ]]; do ports+=("$1"); shift; done
  shift
  while [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do envs+=("$1"); shift; done
  if pid="$(component_pid "$name")"; then
    k8s_log "$name already running (pid $pid)"
    return 0
  fi
  for port in "${ports[@]}"; do
    port_in_use "$port" && k8s_die "$name: port $port on this machine is taken by another process; pick another port (see --help)"
  done
  [[ -f $LOGS/$name.log ]] && mv -f "$LOGS/$name.log" "$LOGS/$name.log.1"
  # The subshell execs setsid, which execs the binary, so $! is the component's own pid.
  (
    for kv in "${envs[@]}"; do export "${kv?}"; done
    exec setsid "$@"
  ) </dev/null >"$LOGS/$name.log" 2>&1 &
  pid=$!
  echo "$pid $1" >"$PIDS/$name.pid"
  deadline=$((SECONDS + 30))
  until component_pid "$name" >/dev/null || [[ ! -e /proc/$pid ]] || ((SECONDS >= deadline)); do sleep 0.05; done
  k8s_log "started $name (pid $pid, log $LOGS/$name.log)"
}

# ---------------------------------------------------------------- builds

# k8s_go_env: the Go caches under .cache/go (a cold machine fills the place a warm one reads), the local
# toolchain only, static binaries; makes the directories.
k8s_go_env() {
  export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/go/mod}"
  export GOCACHE="${GOCACHE:-$CACHE_ROOT/go/build}"
  export GOTOOLCHAIN=local CGO_ENABLED=0
  mkdir -p "$K8S_CACHE_DIR" "$GOMODCACHE" "$GOCACHE"
}

# k8s_build_lock <lock file> <what> <done-check...>: holds the lock on fd 9 for the rest of the script;
# when another build held it, waits, and exits 0 if <done-check> then says that build made <what>.
k8s_build_lock() {
  local lock=$1 what=$2
  shift 2
  exec 9>"$lock"
  flock -n 9 && return 0
  k8s_log "another build holds $lock; waiting for it"
  flock 9
  if "$@"; then
    k8s_log "$what built meanwhile"
    exit 0
  fi
}
