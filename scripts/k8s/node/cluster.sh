#!/usr/bin/env bash
# A real one-node Kubernetes cluster on this machine, without Docker: the control plane of
# control-plane.sh (K8S_KWOK=0) on the bridge address, plus a real node — containerd + runc
# (Debian), kubelet and kube-proxy (iptables mode) from the same Go build, CNI bridge on a bridge
# this script creates, CoreDNS (no forwarder) and kube-router's NetworkPolicy firewall. Real pods.
# A guard in the mangle table drops every packet forwarded between the pod network and any other
# interface, so pods reach only this machine and each other. Needs root (bridge, iptables, cgroups).
#
# Usage: scripts/k8s/node/cluster.sh up|down|status|env|import <image>...
#   up      build what is missing (cached), prepare the host, start everything, wait for the node
#           and CoreDNS to be Ready, import the app images present in buildah's store; on failure
#           it tears down what it started
#   down    stop everything `up` started and put the host back as it was (iptables, ipsets,
#           bridge, mounts, cgroups, ip_forward); safe to run twice or after a failed `up`
#   env     print `export KUBECONFIG=…; export PATH=…` for eval
#   status  exit 0 when the node is Ready
#   import  export images from buildah's store into containerd under docker.io/library/<name>
#           (the name an unqualified chart image resolves to)
#
# Environment (defaults): NODE_RUN_DIR (.cache/k8s/node-run), NODE_API_PORT (26443),
#   NODE_ETCD_PORT (22379), NODE_ETCD_PEER_PORT (22380), NODE_KUBELET_PORT (10250),
#   NODE_BRIDGE (kpcni0), NODE_IMAGES (the app images to import, default: every
#   localhost/scam-detector-*:<appVersion> present).
# Node address = bridge address 10.244.0.1 (no dummy links in this kernel); pods 10.244.0.0/24,
# Services 10.96.0.0/16, cluster DNS 10.96.0.10. Local ports: kubelet healthz 20248, kube-proxy
# 20249 (metrics) and 20256 (healthz), controller-manager 20257, scheduler 20259.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUN="${NODE_RUN_DIR:-$K8S_CACHE_DIR/node-run}"
CP="$RUN/cp"
LOGS="$RUN/logs"
PIDS="$RUN/pids"
STATE="$RUN/host-state"
NODE=kpnode
BRIDGE="${NODE_BRIDGE:-kpcni0}"
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
API_PORT="${NODE_API_PORT:-26443}"
GUARD=SCAM-NODE-GUARD
UP_TIMEOUT="${NODE_UP_TIMEOUT:-120}"
CTRD_SOCK="$RUN/containerd/containerd.sock"
NODE_COMPONENTS=(containerd kubelet kube-proxy kube-router)

cp_env() {
  env K8S_RUN_DIR="$CP" K8S_API_ADDR="$NODE_IP" K8S_API_PORT="$API_PORT" K8S_KWOK=0 K8S_NODE_NAME="$NODE" \
    K8S_ETCD_PORT="${NODE_ETCD_PORT:-22379}" K8S_ETCD_PEER_PORT="${NODE_ETCD_PEER_PORT:-22380}" \
    K8S_CONTROLLER_MANAGER_PORT=20257 K8S_SCHEDULER_PORT=20259 "$@"
}
kubectl_admin() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$CP/admin.kubeconfig" "$@"; }
ctr_k8s() { ctr --address "$CTRD_SOCK" --namespace k8s.io "$@"; }

# ---------------------------------------------------------------- processes (as control-plane.sh)

# stop_wait <seconds> <name>: SIGTERM, then SIGKILL after the grace period.
stop_wait() {
  local grace=$1 name=$2 pid deadline
  pid="$(component_pid "$name")" || { rm -f "$PIDS/$name.pid"; return 0; }
  k8s_log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.2; done
  [[ -e /proc/$pid ]] && { kill -KILL "$pid" 2>/dev/null || true; sleep 0.3; }
  rm -f "$PIDS/$name.pid"
}

# Waits until kube-router has hooked its firewall chains into INPUT and FORWARD; if it exits, says why at once.
until_kube_router_enforcing() {
  while :; do
    component_pid kube-router >/dev/null ||
      k8s_die "kube-router exited: $(tail -n 3 "$LOGS/kube-router.log" 2>/dev/null | tr '\n' ' ')"
    [[ $(iptables -S INPUT 2>/dev/null) == *"-j KUBE-ROUTER-INPUT"* &&
      $(iptables -S FORWARD 2>/dev/null) == *"-j KUBE-ROUTER-FORWARD"* ]] && return 0
    ((SECONDS < up_deadline)) || k8s_die "timed out after ${UP_TIMEOUT}s waiting for kube-router (logs: $LOGS)"
    sleep 0.3
  done
}

until_ok() {
  local what=$1
  shift
  while ! "$@" >/dev/null 2>&1; do
    ((SECONDS < up_deadline)) || k8s_die "timed out after ${UP_TIMEOUT}s waiting for $what (logs: $LOGS)"
    sleep 0.3
  done
}

# ---------------------------------------------------------------- host preparation

need_root() { [[ $(id -u) == 0 ]] || k8s_die "a real node needs root (bridge, iptables, cgroups)"; }

# Debian packages, installed when missing (as .ci/run installs Chromium).
host_deps() {
  local missing=() cmd pkg
  for cmd in containerd:containerd runc:runc ctr:containerd iptables:iptables ipset:ipset conntrack:conntrack \
    socat:socat buildah:buildah gcc:gcc; do
    command -v "${cmd%%:*}" >/dev/null || missing+=("${cmd#*:}")
  done
  # gcc -static (the pause binary) needs the C library's headers and static archive; without recommends,
  # Debian's gcc does not bring them.
  [[ -f /usr/include/stdio.h ]] || missing+=(libc6-dev)
  ((${#missing[@]})) || return 0
  k8s_log "installing with apt-get: ${missing[*]}"
  apt-get update -qq
  # shellcheck disable=SC2046
  DEBIAN_FRONTEND=noninteractive nice -n 19 apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u) >/dev/null
}

# Remembered once, before the first change, so `down` restores exactly what was there.
save_host_state() {
  [[ -f $STATE ]] && return 0
  {
    echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
    echo "bridge_nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo absent)"
  } >"$STATE"
}

host_net_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
  fi
  # The guard: nothing is forwarded between the pod network and any other interface (the uplink
  # above all). In mangle FORWARD, which runs before filter FORWARD, where kube-router and
  # kube-proxy put their ACCEPTs. Pods still reach this machine's own addresses (INPUT).
  if ! iptables -t mangle -nL "$GUARD" >/dev/null 2>&1; then
    iptables -t mangle -N "$GUARD"
    iptables -t mangle -A "$GUARD" -s "$CLUSTER_CIDR" ! -o "$BRIDGE" -j DROP
    iptables -t mangle -A "$GUARD" -d "$CLUSTER_CIDR" ! -i "$BRIDGE" -j DROP
    iptables -t mangle -I FORWARD 1 -j "$GUARD"
  fi
  echo 1 >/proc/sys/net/ipv4/ip_forward
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] && echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
  return 0
}

# write_if_changed <file> < content: a running kube-proxy exits when its config file changes, so a second
# `up` must leave identical files untouched.
write_if_changed() {
  local file=$1 content
  content="$(cat)"
  [[ -f $file && "$(cat "$file")" == "$content" ]] && return 0
  printf '%s\n' "$content" >"$file"
}

write_configs() {
  mkdir -p "$RUN/containerd" "$RUN/cni/net.d" "$RUN/cni/ipam" "$RUN/kubelet/manifests" "$RUN/kubelet/pod-logs" "$RUN/kube-proxy"
  write_if_changed "$RUN/containerd/config.toml" <<EOF
version = 2
root = "$RUN/containerd/root"
state = "$RUN/containerd/state"
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$RUN/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # root here lacks CAP_SYS_RESOURCE: lowering oom_score_adj for sandboxes would fail every pod.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$NODE_BIN_DIR/cni"
    conf_dir = "$RUN/cni/net.d"
EOF
  write_if_changed "$RUN/cni/net.d/10-scam-node.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "scam-node", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
            "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$RUN/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
EOF
  write_if_changed "$RUN/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failSwapOn: false
containerRuntimeEndpoint: unix://$CTRD_SOCK
imageServiceEndpoint: unix://$CTRD_SOCK
address: $NODE_IP
port: ${NODE_KUBELET_PORT:-10250}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 20248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $CP/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: ""
staticPodPath: $RUN/kubelet/manifests
evictionHard: {memory.available: "200Mi", nodefs.available: "2%", imagefs.available: "2%", nodefs.inodesFree: "2%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
makeIPTablesUtilChains: true
podLogsDir: $RUN/kubelet/pod-logs
EOF
  write_if_changed "$RUN/kube-proxy/config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $CP/proxy.kubeconfig
mode: iptables
clusterCIDR: $CLUSTER_CIDR
hostnameOverride: $NODE
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:20256
metricsBindAddress: 127.0.0.1:20249
nodePortAddresses: ["$NODE_IP/32"]
iptables:
  localhostNodePorts: false
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

coredns_manifest() {
  cat <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  # No forward plugin on purpose: names outside the cluster are not resolved, nothing leaves the machine.
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        cache 30
        reload
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      # Port 53 as uid 65532: NET_BIND_SERVICE in a container's bounding set does not reach a non-root process
      # (no ambient capabilities, no file capability on a binary copied FROM scratch), so let the pod's own
      # network namespace treat 53 and up as unprivileged (a safe sysctl, namespaced).
      securityContext:
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "53"}]
      containers:
      - name: coredns
        image: $COREDNS_IMAGE
        imagePullPolicy: Never
        args: ["-conf", "/etc/coredns/Corefile", "-dns.port", "53"]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        resources:
          requests: {cpu: 20m, memory: 32Mi}
          limits: {memory: 128Mi}
        securityContext:
          runAsNonRoot: true
          runAsUser: 65532
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 2
        livenessProbe:
          httpGet: {path: /health, port: 8080}
        volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
EOF
}

# ---------------------------------------------------------------- images

app_version() { sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*$/\1/p' "$K8S_REPO_ROOT/charts/scam-detector/Chart.yaml"; }

# import <localhost/name:tag>...: buildah store -> OCI archive -> containerd as docker.io/library/name:tag.
cmd_import() {
  local img name file
  mkdir -p "$RUN/images"
  for img in "$@"; do
    name="docker.io/library/${img#localhost/}"
    file="$RUN/images/$(echo "${img#localhost/}" | tr ':/' '__').oci.tar"
    k8s_log "importing $img as $name"
    buildah push -q "$img" "oci-archive:$file:$name" >/dev/null
    ctr_k8s images import --all-platforms "$file" >/dev/null
    rm -f "$file"
  done
}

default_images() {
  local version c
  version="$(app_version)"
  for c in processor producer dashboard trainer; do
    buildah inspect --type image "localhost/scam-detector-$c:$version" >/dev/null 2>&1 && echo "localhost/scam-detector-$c:$version"
  done
  return 0
}

# ---------------------------------------------------------------- commands

cmd_up() {
  need_root
  local start_time=$SECONDS
  host_deps
  "$K8S_SCRIPTS_DIR/build-tools.sh"
  "$NODE_SCRIPTS_DIR/build.sh"
  k8s_bin_dir
  node_bin_dir
  mkdir -p "$RUN" "$LOGS" "$PIDS"
  chmod 700 "$RUN"
  up_ok=0
  trap '[[ $up_ok == 1 ]] || { k8s_log "up failed: tearing down"; cmd_down || true; }' EXIT
  up_deadline=$((SECONDS + UP_TIMEOUT))
  save_host_state
  host_net_up
  write_configs

  # (Started by its full path: the pid file names the binary, checked against the process's argv[0].)
  start containerd -- "$(command -v containerd)" --config "$RUN/containerd/config.toml"
  until_ok "containerd" ctr_k8s version
  ctr_k8s images import --all-platforms "$NODE_BIN_DIR/images/pause.oci.tar" >/dev/null
  ctr_k8s images import --all-platforms "$NODE_BIN_DIR/images/coredns.oci.tar" >/dev/null
  k8s_log "[$((SECONDS - start_time))s] containerd up"

  cp_env "$K8S_SCRIPTS_DIR/control-plane.sh" up
  k8s_log "[$((SECONDS - start_time))s] control plane up"

  start kubelet -- "$NODE_BIN_DIR/kubelet" --config "$RUN/kubelet/config.yaml" --kubeconfig "$CP/node.kubeconfig" \
    --root-dir "$RUN/kubelet/root" --cert-dir "$RUN/kubelet/pki" --hostname-override "$NODE" --node-ip "$NODE_IP" --v=1
  start kube-proxy -- "$NODE_BIN_DIR/kube-proxy" --config "$RUN/kube-proxy/config.yaml" --v=1
  until_ok "node $NODE Ready" kubectl_admin wait --for=condition=Ready "node/$NODE" --timeout=2s
  k8s_log "[$((SECONDS - start_time))s] node $NODE Ready"
  # kube-router reads its Node object once, at start, and exits if the kubelet has not registered it yet
  # ("failed to identify the node"): started before the node was there, it died on a slow (cold) start and left
  # every pod unfiltered (issue 21). So it starts after the node is Ready, and `up` returns only once it has
  # programmed its firewall (its chains hooked into INPUT and FORWARD), or fails with its log.
  start kube-router -- "$NODE_BIN_DIR/kube-router" --kubeconfig "$CP/admin.kubeconfig" --run-firewall=true \
    --run-router=false --run-service-proxy=false --enable-cni=false --enable-pod-egress=false --enable-ipv6=false \
    --hostname-override="$NODE" --health-port=0 --metrics-port=0 --service-cluster-ip-range="$SERVICE_CIDR"
  until_kube_router_enforcing
  k8s_log "[$((SECONDS - start_time))s] kube-router enforcing NetworkPolicies"

  kubectl_admin apply -f - >/dev/null <<<"$(coredns_manifest)"
  local images
  mapfile -t images < <(if [[ -n ${NODE_IMAGES:-} ]]; then tr ' ' '\n' <<<"$NODE_IMAGES"; else default_images; fi)
  ((${#images[@]})) && cmd_import "${images[@]}"
  until_ok "CoreDNS Ready" kubectl_admin -n kube-system rollout status deployment/coredns --timeout=2s
  up_ok=1
  k8s_log "[$((SECONDS - start_time))s] cluster up: node $NODE, CoreDNS, NetworkPolicies (kube-router); images: ${images[*]:-none}"
  k8s_log "use it with: eval \"\$($0 env)\""
}

cmd_down() {
  need_root
  k8s_bin_dir
  node_bin_dir
  local start_time=$SECONDS
  mkdir -p "$PIDS"
  # Workloads first, so the kubelet tears each pod down itself (CNI DEL, mounts, cgroups).
  if [[ -f $CP/admin.kubeconfig ]] && kubectl_admin get --raw /readyz --request-timeout=2s >/dev/null 2>&1 &&
    component_pid kubelet >/dev/null; then
    local ns
    for ns in $(kubectl_admin get ns -o name --request-timeout=5s | sed 's#namespace/##'); do
      kubectl_admin -n "$ns" delete deploy,sts,rs,ds,job,cronjob --all --cascade=orphan --wait=false >/dev/null 2>&1 || true
    done
    kubectl_admin delete pods --all-namespaces --all --grace-period=1 --timeout=60s >/dev/null 2>&1 || true
  fi
  stop_wait 10 kube-router
  stop_wait 10 kube-proxy
  stop_wait 15 kubelet
  # Whatever still runs in containerd: stop the tasks, then containerd itself.
  if component_pid containerd >/dev/null; then
    local task
    for task in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s KILL "$task" >/dev/null 2>&1 || true; done
    for task in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete -f "$task" >/dev/null 2>&1 || true; done
  fi
  stop_wait 15 containerd
  # Shims outlive containerd: kill the ones of this node (their command line names our socket).
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CTRD_SOCK" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -d $CP ]] && cp_env "$K8S_SCRIPTS_DIR/control-plane.sh" down
  [[ -x $NODE_BIN_DIR/kube-proxy ]] && "$NODE_BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true
  host_net_down
  k8s_log "cluster down in $((SECONDS - start_time))s; host restored"
}

host_net_down() {
  local t set m ipt
  # Every chain kube-proxy, kubelet and kube-router made, in every table, plus the guard: the
  # table is restored without them (nothing else on this machine uses iptables).
  for ipt in iptables ip6tables; do
    for t in filter nat mangle raw; do
      "$ipt-save" -t "$t" 2>/dev/null | grep -q -E 'KUBE-|SCAM-NODE-GUARD' || continue
      "$ipt-save" -t "$t" | grep -v -E 'KUBE-|SCAM-NODE-GUARD' | "$ipt-restore" -T "$t"
    done
  done
  for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-|kube-router-)' || true); do ipset destroy "$set" 2>/dev/null || true; done
  # Mounts under the run dir (pod volumes, overlay snapshots) and network namespaces of pods.
  for m in $(awk -v r="$RUN/" 'index($2, r) == 1 || $2 ~ /^\/run\/netns\/cni-/ { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  rm -f /run/netns/cni-* 2>/dev/null || true
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    local veth
    for veth in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
      ip link del "$veth" 2>/dev/null || true
    done
    ip link del "$BRIDGE"
  fi
  if [[ -f $STATE ]]; then
    local v
    v="$(sed -n 's/^ip_forward=//p' "$STATE")"
    [[ -n $v ]] && echo "$v" >/proc/sys/net/ipv4/ip_forward
    v="$(sed -n 's/^bridge_nf=//p' "$STATE")"
    [[ $v =~ ^[01]$ ]] && echo "$v" >/proc/sys/net/bridge/bridge-nf-call-iptables
    rm -f "$STATE"
  fi
  # Empty cgroups the kubelet and runc leave behind.
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/k8s.io; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  rm -rf /var/log/pods /var/log/containers 2>/dev/null || true
  return 0
}

cmd_env() {
  k8s_bin_dir
  # shellcheck disable=SC2016
  printf 'export KUBECONFIG=%q; export PATH=%q:"$PATH"\n' "$CP/admin.kubeconfig" "$K8S_BIN_DIR"
}

cmd_status() {
  k8s_bin_dir
  local name pid ok=0
  for name in "${NODE_COMPONENTS[@]}"; do
    if pid="$(component_pid "$name")"; then printf '%-24s running (pid %s)\n' "$name" "$pid"; else printf '%-24s stopped\n' "$name"; ok=1; fi
  done
  cp_env "$K8S_SCRIPTS_DIR/control-plane.sh" status >/dev/null 2>&1 || ok=1
  kubectl_admin wait --for=condition=Ready "node/$NODE" --timeout=2s >/dev/null 2>&1 || ok=1
  ((ok == 0)) && echo "node $NODE Ready; kubeconfig $CP/admin.kubeconfig"
  return $ok
}

case "${1:-}" in
  up | down | status | env)
    cmd="$1"
    shift
    "cmd_$cmd" "$@"
    ;;
  import)
    shift
    need_root
    cmd_import "$@"
    ;;
  -h | --help | help) k8s_usage "$0" ;;
  *) k8s_usage "$0" >&2; exit 2 ;;
esac
