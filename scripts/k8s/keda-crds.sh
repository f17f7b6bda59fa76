#!/usr/bin/env bash
# Prints the folder holding KEDA's CRDs (keda.sh_scaledobjects.yaml, …), fetched once from the Go module
# proxy (the KEDA module ships them). The chart's optional ScaledObject is checked against the real CRD.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=${KEDA_VERSION:-v2.21.0}
export GOMODCACHE="$root/.cache/go/mod" GOFLAGS=-mod=mod
dir="$GOMODCACHE/github.com/kedacore/keda/v2@$version/config/crd/bases"
if [ ! -f "$dir/keda.sh_scaledobjects.yaml" ]; then
  (cd "$(mktemp -d)" && go mod download "github.com/kedacore/keda/v2@$version")
fi
echo "$dir"
