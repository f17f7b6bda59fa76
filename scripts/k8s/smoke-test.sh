#!/usr/bin/env bash
# Proves the local control plane (control-plane.sh up) does what the chart's tests rely on:
# server version, Strimzi CRDs by server-side apply, PodSecurity "restricted" enforced, a
# Deployment's pod Running on the kwok node, a Job Complete, ServiceAccount tokens, helm, kind.
# Leaves the cluster as it found it (its namespace is deleted; the CRDs stay installed).
#
# Usage: scripts/k8s/smoke-test.sh            (the control plane must be up)
# Environment: STRIMZI_CRDS_DIR (default: shared/strimzi-crds beside the repo)
set -euo pipefail

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
k8s_bin_dir
eval "$("$K8S_SCRIPTS_DIR/control-plane.sh" env)"
CRDS="${STRIMZI_CRDS_DIR:-$K8S_REPO_ROOT/../shared/strimzi-crds}"
ns="smoke-$(openssl rand -hex 3)"
passed=0
failed=0

check() {
  local what=$1
  shift
  local start=$SECONDS out
  out="$(mktemp)"
  # In the background, not inside `if`, so that `set -e` still stops the check at its first
  # failing command.
  "$@" >"$out" 2>&1 &
  if wait $!; then
    passed=$((passed + 1))
    printf 'ok   %-62s %2ds\n' "$what" $((SECONDS - start))
  else
    failed=$((failed + 1))
    printf 'FAIL %-62s %2ds\n' "$what" $((SECONDS - start))
    sed 's/^/     /' "$out"
  fi
  rm -f "$out"
}

cleanup() { kubectl delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true; }
trap cleanup EXIT

server_version() {
  local v
  v="$(kubectl version -o json | sed -n 's/^ *"gitVersion": "\(.*\)",$/\1/p')"
  echo "$v"
  [[ $v == "$K8S_VERSION"$'\n'"$K8S_VERSION" ]]
}

strimzi_crds() {
  [[ -d $CRDS ]] || { echo "no CRDs at $CRDS (set STRIMZI_CRDS_DIR)"; return 1; }
  kubectl apply --server-side --force-conflicts -f "$CRDS"
  kubectl wait --for=condition=Established --timeout=30s \
    crd/kafkas.kafka.strimzi.io crd/kafkatopics.kafka.strimzi.io \
    crd/kafkausers.kafka.strimzi.io crd/kafkanodepools.kafka.strimzi.io
}

restricted_namespace() {
  kubectl create namespace "$ns"
  kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted
  # Pods are refused until the namespace's default ServiceAccount exists.
  local _
  for _ in $(seq 50); do kubectl get serviceaccount default -n "$ns" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

pod_spec() { # restricted-compliant; the image is never pulled (kwok runs no containers)
  cat <<EOF
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: smoke.local/app:1
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 100m, memory: 64Mi}
EOF
}

podsecurity_rejects() {
  local out
  if out="$(kubectl run -n "$ns" privileged --image=smoke.local/app:1 --restart=Never \
    --overrides='{"spec":{"containers":[{"name":"privileged","image":"smoke.local/app:1","securityContext":{"privileged":true}}]}}' 2>&1)"; then
    echo "a privileged pod was admitted: $out"
    return 1
  fi
  echo "$out"
  [[ $out == *'violates PodSecurity "restricted'* ]]
}

deployment_running() {
  kubectl apply -n "$ns" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
$(pod_spec)
EOF
  kubectl rollout status -n "$ns" deployment/web --timeout=60s
  kubectl wait -n "$ns" --for=jsonpath='{.status.phase}'=Running pod -l app=web --timeout=30s
  local nodes
  nodes="$(kubectl get pods -n "$ns" -l app=web -o jsonpath='{.items[*].spec.nodeName}')"
  echo "pods on: $nodes"
  [[ $nodes == *kwok-node-0* ]]
}

job_complete() {
  kubectl apply -n "$ns" -f - <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
$(pod_spec)
EOF
  kubectl wait -n "$ns" --for=condition=Complete job/once --timeout=60s
}

service_account_token() {
  kubectl create serviceaccount x -n "$ns"
  local token
  token="$(kubectl create token x -n "$ns" --duration=10m)"
  # The API server must accept the token it issued.
  kubectl --token="$token" auth whoami -o jsonpath='{.status.userInfo.username}' |
    grep -qx "system:serviceaccount:$ns:x"
}

helm_install_and_test() {
  local chart
  chart="$(mktemp -d)"
  mkdir -p "$chart/templates"
  printf 'apiVersion: v2\nname: smoke\nversion: 0.1.0\nkubeVersion: ">=1.30.0-0"\n' >"$chart/Chart.yaml"
  cat >"$chart/templates/all.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
$(pod_spec)
---
apiVersion: v1
kind: Service
metadata: {name: {{ .Release.Name }}}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: {helm.sh/hook: test}
spec:
  restartPolicy: Never
$(pod_spec | sed 's/^    //')
EOF
  trap 'rm -rf "$chart"' EXIT
  helm install smoke "$chart" -n "$ns" --wait --timeout 60s
  helm test smoke -n "$ns" --timeout 60s
  helm uninstall smoke -n "$ns" --wait --timeout 60s
}

check "kubectl version: client and server $K8S_VERSION" server_version
check "Strimzi CRDs: apply --server-side, Established" strimzi_crds
check "namespace $ns with pod-security enforce=restricted" restricted_namespace
check "PodSecurity rejects a privileged pod" podsecurity_rejects
check "Deployment (restricted pod spec) Running on the kwok node" deployment_running
check "Job Complete" job_complete
check "ServiceAccount token: create token, auth whoami" service_account_token
check "helm install --wait, helm test (run-once pod Succeeded)" helm_install_and_test
check "helm version $HELM_VERSION" bash -c "helm version --short | grep -F '$HELM_VERSION'"
check "kind version $KIND_VERSION" bash -c "kind version | grep -F '$KIND_VERSION'"
check "kwok version $KWOK_VERSION" bash -c "kwok --version | grep -F '$KWOK_VERSION'"
check "etcd version ${ETCD_VERSION#v}" bash -c "etcd --version | grep -F '${ETCD_VERSION#v}'"

echo "$passed passed, $failed failed"
((failed == 0))
