#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1, without Docker: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok simulating one Node (kwok-node-0) on which
# pods become Running and Jobs complete. Binaries come from build-tools.sh (built on demand).
#
# Usage: scripts/k8s/control-plane.sh up|down [--clean]|env|status
#   up      start whatever is not running (idempotent) and wait until /readyz is ok and the node
#           is Ready; first run makes a CA, serving cert, service-account keys and tokens
#   down    stop exactly the processes `up` started; --clean also deletes the run dir
#           (etcd data, certs, tokens, logs)
#   env     print `export KUBECONFIG=…; export PATH=…` for eval "$(scripts/k8s/control-plane.sh env)"
#   status  show each process and the cluster's health; exit 0 only when all is up
#
# Environment (defaults): K8S_API_PORT (6443), K8S_ETCD_PORT (23790), K8S_ETCD_PEER_PORT (23800),
#   K8S_CONTROLLER_MANAGER_PORT (10357), K8S_SCHEDULER_PORT (10359), K8S_UP_TIMEOUT seconds (120),
#   K8S_NODE_NAME (kwok-node-0), K8S_NODE_CPU (32), K8S_NODE_MEMORY (256Gi), K8S_NODE_PODS (110),
#   K8S_ETCD_UNSAFE_NO_FSYNC (true: a throwaway test cluster; set false to keep fsync),
#   K8S_API_ADDR (127.0.0.1: the address the API server binds, advertises and kubeconfigs name),
#   K8S_KWOK (1; 0 for a real node: no kwok, the `kubernetes` endpoint reconciled on K8S_API_ADDR,
#   tokens and kubeconfigs for kubelet (node.kubeconfig) and kube-proxy (proxy.kubeconfig), and a
#   client cert the API server presents to kubelets; scripts/k8s/node/cluster.sh sets these).
# Everything lives in .cache/k8s/run/: pki/, tokens.csv, *.kubeconfig, etcd/, logs/, pids/.
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

API_PORT="${K8S_API_PORT:-6443}"
ETCD_PORT="${K8S_ETCD_PORT:-23790}"
ETCD_PEER_PORT="${K8S_ETCD_PEER_PORT:-23800}"
KCM_PORT="${K8S_CONTROLLER_MANAGER_PORT:-10357}"
SCHEDULER_PORT="${K8S_SCHEDULER_PORT:-10359}"
API_ADDR="${K8S_API_ADDR:-127.0.0.1}"
KWOK="${K8S_KWOK:-1}"
UP_TIMEOUT="${K8S_UP_TIMEOUT:-120}"
NODE_NAME="${K8S_NODE_NAME:-kwok-node-0}"
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16 # kwok hands these out; no traffic ever goes to them

RUN="$K8S_RUN_DIR"
PKI="$RUN/pki"
LOGS="$RUN/logs"
PIDS="$RUN/pids"
ADMIN_KUBECONFIG="$RUN/admin.kubeconfig"
# Start order; `down` stops in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
[[ $KWOK == 1 ]] || COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)


kubectl_admin() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ---------------------------------------------------------------- processes

# A pid file holds "<pid> <binary>". The process counts as ours only if that pid is alive, its
# argv[0] is that binary and its command line names our run dir (every component's does).
stop() {
  local name=$1 pid
  pid="$(component_pid "$name")" || { rm -f "$PIDS/$name.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  echo "$pid"
}

# wait_gone <seconds> <pid...>: SIGKILL whatever is still alive after the grace period.
wait_gone() {
  local deadline=$((SECONDS + $1)) pid alive
  shift
  while :; do
    alive=()
    for pid in "$@"; do [[ -e /proc/$pid ]] && alive+=("$pid"); done
    ((${#alive[@]})) || return 0
    if ((SECONDS >= deadline)); then
      k8s_log "still running after grace period, killing: ${alive[*]}"
      kill -KILL "${alive[@]}" 2>/dev/null || true
      sleep 0.5
      return 0
    fi
    sleep 0.2
  done
}

fail_with_log() {
  local name=$1
  shift
  k8s_log "$* — last lines of $LOGS/$name.log:"
  tail -n 30 "$LOGS/$name.log" >&2 || true
  k8s_die "$name did not come up; fix and rerun \`$0 up\`, or \`$0 down\` to stop the rest"
}

# until_ok <component> <description> <command...>: retry until success, bounded by UP_TIMEOUT.
until_ok() {
  local name=$1 what=$2
  shift 2
  while ! "$@" >/dev/null 2>&1; do
    component_pid "$name" >/dev/null || fail_with_log "$name" "$name exited while waiting for $what"
    ((SECONDS < up_deadline)) || fail_with_log "$name" "timed out after ${UP_TIMEOUT}s waiting for $what"
    sleep 0.3
  done
}

# ---------------------------------------------------------------- credentials

# Made once and kept in the run dir, so kubeconfigs stay valid across down/up.
ensure_pki() {
  mkdir -p "$PKI"
  chmod 700 "$RUN" "$PKI"
  local days=3650
  if [[ ! -f $PKI/ca.crt ]] || ! openssl x509 -checkend 86400 -noout -in "$PKI/ca.crt" >/dev/null; then
    k8s_log "creating CA, API server serving cert and service-account keys in $PKI"
    rm -f "$PKI"/*
    openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=scam-detector-local-ca" \
      -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  fi
  local san="IP:127.0.0.1,IP:10.96.0.1"
  [[ $API_ADDR == 127.0.0.1 ]] || san+=",IP:$API_ADDR"
  if [[ ! -f $PKI/apiserver.crt ]] || ! openssl x509 -checkend 86400 -noout -in "$PKI/apiserver.crt" >/dev/null ||
    ! openssl x509 -noout -ext subjectAltName -in "$PKI/apiserver.crt" | grep -q "IP Address:$API_ADDR\b"; then
    # 10.96.0.1 is the `kubernetes` Service's address in $SERVICE_CIDR.
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
      -keyout "$PKI/apiserver.key" -out "$PKI/apiserver.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days $days -out "$PKI/apiserver.crt" -extfile <(
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=serverAuth"
        echo "subjectAltName=$san,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
      ) 2>/dev/null
    rm -f "$PKI/apiserver.csr"
  fi
  # The front-proxy (request-header) CA: the API server publishes it in the
  # extension-apiserver-authentication ConfigMap, and the controller-manager and scheduler
  # complain about its absence every few seconds otherwise. kubeadm sets it up the same way.
  if [[ ! -f $PKI/front-proxy-ca.crt ]] || ! openssl x509 -checkend 86400 -noout -in "$PKI/front-proxy-ca.crt" >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=scam-detector-local-front-proxy-ca" \
      -keyout "$PKI/front-proxy-ca.key" -out "$PKI/front-proxy-ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    rm -f "$PKI/front-proxy-client.crt"
  fi
  if [[ ! -f $PKI/front-proxy-client.crt ]] || ! openssl x509 -checkend 86400 -noout -in "$PKI/front-proxy-client.crt" >/dev/null; then
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=front-proxy-client" \
      -keyout "$PKI/front-proxy-client.key" -out "$PKI/front-proxy-client.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/front-proxy-client.csr" -CA "$PKI/front-proxy-ca.crt" -CAkey "$PKI/front-proxy-ca.key" \
      -CAcreateserial -days $days -out "$PKI/front-proxy-client.crt" -extfile <(
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=clientAuth"
      ) 2>/dev/null
    rm -f "$PKI/front-proxy-client.csr"
  fi
  # The client cert the API server shows a kubelet (logs, exec, port-forward); kubelets trust ca.crt.
  if [[ $KWOK != 1 ]] && { [[ ! -f $PKI/kubelet-client.crt ]] || ! openssl x509 -checkend 86400 -noout -in "$PKI/kubelet-client.crt" >/dev/null; }; then
    openssl req -new -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" \
      -keyout "$PKI/kubelet-client.key" -out "$PKI/kubelet-client.csr" 2>/dev/null
    openssl x509 -req -in "$PKI/kubelet-client.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
      -days $days -out "$PKI/kubelet-client.crt" -extfile <(
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=clientAuth"
      ) 2>/dev/null
    rm -f "$PKI/kubelet-client.csr"
  fi
  if [[ ! -f $PKI/sa.key || ! -f $PKI/sa.pub ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
    openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
  fi
  chmod 600 "$PKI"/*.key
}

# Static bearer tokens (--token-auth-file): one per client, random, never committed.
ensure_tokens() {
  local file="$RUN/tokens.csv"
  if [[ $KWOK != 1 && -s $file ]] && ! grep -q ",system:kube-proxy," "$file"; then
    # A real node's kubelet (the Node authorizer wants system:node:<name> in system:nodes) and kube-proxy.
    (
      umask 077
      echo "$(openssl rand -hex 32),system:node:$NODE_NAME,system:node:$NODE_NAME,\"system:nodes\"" >>"$file"
      echo "$(openssl rand -hex 32),system:kube-proxy,system:kube-proxy," >>"$file"
    )
  fi
  [[ -s $file ]] && return 0
  (
    umask 077
    # token,user,uid,"groups"
    {
      echo "$(openssl rand -hex 32),admin,admin,\"system:masters\""
      echo "$(openssl rand -hex 32),system:kube-controller-manager,system:kube-controller-manager"
      echo "$(openssl rand -hex 32),system:kube-scheduler,system:kube-scheduler"
      echo "$(openssl rand -hex 32),kwok,kwok,\"system:masters\""
    } >"$file.tmp"
  )
  mv "$file.tmp" "$file"
  [[ $KWOK == 1 ]] || ensure_tokens
}

token_of() { awk -F, -v u="$1" '$2 == u { print $1; exit }' "$RUN/tokens.csv"; }

# write_kubeconfig <file> <user>. Rewritten on every `up` so a changed K8S_API_PORT takes effect.
write_kubeconfig() {
  local file=$1 user=$2 ca
  ca="$(base64 -w0 "$PKI/ca.crt")"
  (
    umask 077
    cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: scam-detector-local
  cluster:
    server: https://$API_ADDR:$API_PORT
    certificate-authority-data: $ca
users:
- name: $user
  user:
    token: $(token_of "$user")
contexts:
- name: scam-detector-local
  context:
    cluster: scam-detector-local
    user: $user
current-context: scam-detector-local
EOF
  )
  mv "$file.tmp" "$file"
}

# ---------------------------------------------------------------- commands

node_manifest() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    node-role.kubernetes.io/agent: ""
status:
  capacity: &resources
    cpu: "${K8S_NODE_CPU:-32}"
    memory: ${K8S_NODE_MEMORY:-256Gi}
    ephemeral-storage: 1Ti
    pods: "${K8S_NODE_PODS:-110}"
  allocatable: *resources
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $K8S_VERSION
    kubeProxyVersion: $K8S_VERSION
EOF
}

cmd_up() {
  local start_time=$SECONDS tool
  for tool in openssl curl setsid base64; do
    command -v "$tool" >/dev/null || k8s_die "up needs $tool (apt-get install openssl curl util-linux coreutils)"
  done
  "$K8S_SCRIPTS_DIR/build-tools.sh"
  mkdir -p "$RUN" "$LOGS" "$PIDS"
  ensure_pki
  ensure_tokens
  write_kubeconfig "$ADMIN_KUBECONFIG" admin
  write_kubeconfig "$RUN/controller-manager.kubeconfig" system:kube-controller-manager
  write_kubeconfig "$RUN/scheduler.kubeconfig" system:kube-scheduler
  write_kubeconfig "$RUN/kwok.kubeconfig" kwok
  if [[ $KWOK != 1 ]]; then
    write_kubeconfig "$RUN/node.kubeconfig" "system:node:$NODE_NAME"
    write_kubeconfig "$RUN/proxy.kubeconfig" system:kube-proxy
  fi
  local bin=$K8S_BIN_DIR
  up_deadline=$((SECONDS + UP_TIMEOUT))

  start etcd "$ETCD_PORT" "$ETCD_PEER_PORT" -- "$bin/etcd" \
    --name=local --data-dir="$RUN/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync="${K8S_ETCD_UNSAFE_NO_FSYNC:-true}"
  until_ok etcd "etcd /health" curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

  # --endpoint-reconciler-type none: no kube-proxy and no routable address here, and the default
  # reconciler would log an invalid 127.0.0.1 endpoint for the `kubernetes` Service every 10 s.
  # Admission plugins are the defaults (PodSecurity, ServiceAccount, NamespaceLifecycle, ...).
  local node_flags=(--endpoint-reconciler-type=none)
  if [[ $KWOK != 1 ]]; then
    # A real node: kube-proxy routes the `kubernetes` Service to this endpoint, and the API server
    # reaches the kubelet (logs, exec, port-forward) with a cert the kubelet trusts.
    node_flags=(--endpoint-reconciler-type=lease
      --kubelet-client-certificate="$PKI/kubelet-client.crt" --kubelet-client-key="$PKI/kubelet-client.key"
      --kubelet-preferred-address-types=InternalIP)
  fi
  start kube-apiserver "$API_PORT" -- "$bin/kube-apiserver" \
    --advertise-address="$API_ADDR" --bind-address="$API_ADDR" --secure-port="$API_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --cert-dir="$RUN/apiserver-certs" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --token-auth-file="$RUN/tokens.csv" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --authorization-mode=Node,RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    "${node_flags[@]}" \
    --allow-privileged=true \
    --profiling=false
  until_ok kube-apiserver "kube-apiserver /readyz" kubectl_admin get --raw /readyz --request-timeout=2s

  # Controllers: all the default ones (namespace, serviceaccount + token, deployment, replicaset,
  # job, garbagecollector, root-ca-cert-publisher, nodelifecycle, endpointslice, ...), each with
  # its own service account as in kubeadm. Cloud and CSR-signing controllers have nothing to do.
  start kube-controller-manager "$KCM_PORT" -- "$bin/kube-controller-manager" \
    --kubeconfig="$RUN/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$RUN/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$RUN/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --service-cluster-ip-range="$SERVICE_CIDR" --cluster-name=scam-detector-local \
    --controllers='*,-csrsigning,-csrapproving,-csrcleaner,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller'

  start kube-scheduler "$SCHEDULER_PORT" -- "$bin/kube-scheduler" \
    --kubeconfig="$RUN/scheduler.kubeconfig" \
    --authentication-kubeconfig="$RUN/scheduler.kubeconfig" \
    --authorization-kubeconfig="$RUN/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
    --leader-elect=false

  if [[ $KWOK == 1 ]]; then
  # kwok plays the kubelet of every Node annotated kwok.x-k8s.io/node=fake. Its node IP is
  # loopback so that nothing the API server might dial for a node leaves this machine. HOME
  # points into the run dir so a personal ~/.kwok/kwok.yaml is not merged into its config.
  mkdir -p "$RUN/kwok-home"
  local extra_stages=("$K8S_SCRIPTS_DIR"/kwok/*.yaml)
  if ! component_pid kwok >/dev/null; then
    # kwok takes a new random identity at each start and plays a node only while it holds the
    # node's Lease: the previous kwok's lease would hold every new pod back until it expires
    # (40 s). We are the only kwok, so drop it.
    kubectl_admin delete lease -n kube-node-lease "$NODE_NAME" --ignore-not-found >/dev/null
  fi
  start kwok -- HOME="$RUN/kwok-home" "$bin/kwok" \
    --kubeconfig="$RUN/kwok.kubeconfig" \
    --config="$bin/kwok-stages.yaml" \
    "${extra_stages[@]/#/--config=}" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 --node-lease-duration-seconds=40 \
    --cidr="$POD_CIDR"

  kubectl_admin apply --server-side --force-conflicts --field-manager=control-plane.sh -f - >/dev/null <<<"$(node_manifest)"
  until_ok kwok "node $NODE_NAME Ready" \
    kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  until_ok kwok "kwok holding the Lease of node $NODE_NAME" \
    kubectl_admin get lease -n kube-node-lease "$NODE_NAME"
  fi
  until_ok kube-scheduler "kube-scheduler /readyz" \
    curl -fsSk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/readyz"
  until_ok kube-controller-manager "kube-controller-manager /healthz" \
    curl -fsSk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"
  # Pods are refused until the namespace's `default` ServiceAccount exists.
  until_ok kube-controller-manager "ServiceAccount default/default" \
    kubectl_admin get serviceaccount default -n default

  if [[ $KWOK == 1 ]]; then
    k8s_log "control plane up in $((SECONDS - start_time))s: https://$API_ADDR:$API_PORT, node $NODE_NAME Ready"
  else
    k8s_log "control plane up in $((SECONDS - start_time))s: https://$API_ADDR:$API_PORT (no node yet)"
  fi
  k8s_log "use it with: eval \"\$($0 env)\""
}

cmd_down() {
  local clean=0 arg pids=() pid name i
  for arg in "$@"; do
    case $arg in
      --clean) clean=1 ;;
      *) k8s_die "down: unknown argument $arg" ;;
    esac
  done
  if [[ -d $PIDS ]]; then
    # Clients of the API server first, then the API server, then etcd.
    for name in kwok kube-scheduler kube-controller-manager; do
      pid="$(stop "$name")" && [[ -n $pid ]] && pids+=("$pid") && k8s_log "stopping $name (pid $pid)"
    done
    ((${#pids[@]})) && wait_gone 15 "${pids[@]}"
    for name in kube-apiserver etcd; do
      pid="$(stop "$name")"
      [[ -n $pid ]] || continue
      k8s_log "stopping $name (pid $pid)"
      wait_gone 30 "$pid"
    done
    for i in "${COMPONENTS[@]}"; do rm -f "$PIDS/$i.pid"; done
  fi
  if [[ $clean == 1 ]]; then
    k8s_log "removing $RUN"
    rm -rf "$RUN"
  fi
  k8s_log "control plane down"
}

cmd_env() {
  # shellcheck disable=SC2016 # $PATH is for the eval to expand
  printf 'export KUBECONFIG=%q; export PATH=%q:"$PATH"\n' "$ADMIN_KUBECONFIG" "$K8S_BIN_DIR"
}

cmd_status() {
  local name pid ok=0
  for name in "${COMPONENTS[@]}"; do
    if pid="$(component_pid "$name")"; then
      printf '%-24s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-24s stopped\n' "$name"
      ok=1
    fi
  done
  echo "bin dir: $K8S_BIN_DIR$(k8s_bin_complete "$K8S_BIN_DIR" || echo ' (not built)')"
  echo "kubeconfig: $ADMIN_KUBECONFIG"
  if [[ -f $ADMIN_KUBECONFIG ]] && component_pid kube-apiserver >/dev/null &&
    kubectl_admin get --raw /readyz --request-timeout=2s >/dev/null 2>&1; then
    echo "readyz: ok"
    kubectl_admin get nodes -o wide --request-timeout=5s || ok=1
  else
    echo "readyz: not answering"
    ok=1
  fi
  return $ok
}

case "${1:-}" in
  up | down | status)
    k8s_bin_dir
    cmd="$1"
    shift
    "cmd_$cmd" "$@"
    ;;
  env) k8s_bin_dir; cmd_env ;;
  -h | --help | help) k8s_usage "$0" ;;
  *) k8s_usage "$0" >&2; exit 2 ;;
esac
