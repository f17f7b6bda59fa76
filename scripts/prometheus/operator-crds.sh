#!/usr/bin/env bash
# Prints the folder holding the Prometheus Operator's CRDs (monitoring.coreos.com_podmonitors.yaml, …), fetched
# once from the Go module proxy: the github.com/prometheus-operator/prometheus-operator module ships them in
# example/prometheus-operator-crd. The k8s suite installs them so the chart's monitors and rules are validated
# by the real API server.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}
export GOMODCACHE="$root/.cache/go/mod" GOFLAGS=-mod=mod
dir="$GOMODCACHE/github.com/prometheus-operator/prometheus-operator@$version/example/prometheus-operator-crd"
if [ ! -f "$dir/monitoring.coreos.com_podmonitors.yaml" ]; then
  (cd "$(mktemp -d)" && go mod download "github.com/prometheus-operator/prometheus-operator@$version")
fi
echo "$dir"
