#!/usr/bin/env bash
# Loads the four images (tagged with the chart's appVersion) into a kind cluster.
# With Docker: `kind load docker-image`. Without (images built by buildah/podman): `podman save` to an
# archive, then `kind load image-archive`.
# Usage: scripts/images/kind-load.sh [cluster-name]
set -euo pipefail
cluster=${1:-scam-detector}
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(awk '/^appVersion:/ {gsub(/"/, "", $2); print $2}' "$root/charts/scam-detector/Chart.yaml")
archives="$root/.cache/images"
for component in processor producer dashboard trainer; do
  image="scam-detector-$component:$version"
  if docker info >/dev/null 2>&1; then
    kind load docker-image "$image" --name "$cluster"
  else
    mkdir -p "$archives"
    podman save --format docker-archive -o "$archives/$component.tar" "localhost/$image"
    kind load image-archive "$archives/$component.tar" --name "$cluster"
  fi
done
