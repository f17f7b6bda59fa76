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
    # The chart asks for "scam-detector-x:v", which containerd reads as docker.io/library/scam-detector-x:v;
    # buildah names local images localhost/…, so the archive carries the docker.io name.
    mkdir -p "$archives"
    podman tag "localhost/$image" "docker.io/library/$image"
    podman save --format docker-archive -o "$archives/$component.tar" "docker.io/library/$image"
    kind load image-archive "$archives/$component.tar" --name "$cluster"
  fi
done
