#!/usr/bin/env bash
# Exports the built images as docker-archive tarballs, the format `kind load image-archive` takes:
#   .cache/images/<component>.tar  holding  docker.io/library/scam-detector-<component>:<appVersion>
# The chart asks for "scam-detector-<component>:<appVersion>", which containerd reads as docker.io/library/…;
# buildah names local images localhost/…, so the archive carries the docker.io name.
# Environment: COMPONENTS (default: processor producer dashboard trainer), OUT (default: .cache/images).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*$/\1/p' "$root/charts/scam-detector/Chart.yaml")
out=${OUT:-$root/.cache/images}
mkdir -p "$out"
status=0
for component in ${COMPONENTS:-processor producer dashboard trainer}; do
  image="scam-detector-$component:$version"
  archive="$out/$component.tar"
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    docker save -o "$archive" "$image"
  elif podman image exists "localhost/$image"; then
    podman tag "localhost/$image" "docker.io/library/$image"
    rm -f "$archive"
    podman save --quiet --format docker-archive -o "$archive" "docker.io/library/$image"
  else
    echo "save.sh: $image is not built (make images)" >&2
    status=1
    continue
  fi
  printf 'saved %s -> %s (%s MB)\n' "$image" "${archive#"$root"/}" "$(($(wc -c <"$archive") / 1000000))"
done
exit $status
