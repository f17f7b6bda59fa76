#!/usr/bin/env bash
# Loads the four images (tagged with the chart's appVersion) into a kind cluster.
# With Docker: `kind load docker-image`. Without (images built by buildah/podman): save.sh writes
# docker-archives named as the chart refers to them, then `kind load image-archive`.
# Usage: scripts/images/kind-load.sh [cluster-name]
set -euo pipefail
cluster=${1:-scam-detector}
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*$/\1/p' "$root/charts/scam-detector/Chart.yaml")
components=(processor producer dashboard trainer)
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  for component in "${components[@]}"; do kind load docker-image "scam-detector-$component:$version" --name "$cluster"; done
else
  "$root/scripts/images/save.sh"
  for component in "${components[@]}"; do kind load image-archive "$root/.cache/images/$component.tar" --name "$cluster"; done
fi
