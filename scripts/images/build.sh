#!/usr/bin/env bash
# Builds the four images from the repository's Dockerfile, each tagged scam-detector-<component>:<appVersion>
# (appVersion from charts/scam-detector/Chart.yaml; never "latest").
#   docker, when a Docker engine answers (`docker info`);
#   buildah otherwise: `buildah bud --isolation chroot --network host --layers`, with the host's CA bundle
#   bind-mounted into RUN steps and named in a global npmrc (TLS from here goes through a proxy whose CA
#   only the host bundle has; buildah 1.28's --env does not reach RUN steps, and without a CA npm ci dies
#   with "Exit handler never called!"). If the base image is not present it is pulled, and where no
#   registry answers it is assembled locally by scripts/images/base.sh.
# Environment: BASE (passed as --build-arg BASE), COMPONENTS (default: processor producer dashboard trainer),
# BUILDER (docker|buildah, default: detected), STORAGE_DRIVER / CONTAINERS_STORAGE_CONF (buildah's own).
# Prints one line per image: name, seconds, size. Build logs: .cache/images/build-<component>.log;
# timings are appended to .cache/images/build-times.tsv.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*$/\1/p' charts/scam-detector/Chart.yaml)
[[ -n $version && $version != latest ]] || { echo "build.sh: bad appVersion '$version' in Chart.yaml" >&2; exit 1; }
components=(${COMPONENTS:-processor producer dashboard trainer})
default_base=$(sed -n 's/^ARG BASE=\(.*\)$/\1/p' Dockerfile | head -n1)
base=${BASE:-$default_base}

log() { printf '[images] %s\n' "$*" >&2; }
# Milliseconds since the epoch; EPOCHREALTIME needs bash 5 (macOS ships bash 3.2: whole seconds there).
now_ms() { if [[ -n ${EPOCHREALTIME:-} ]]; then local t=${EPOCHREALTIME/./}; echo $((t / 1000)); else echo $(($(date +%s) * 1000)); fi; }

if [[ -z ${BUILDER:-} ]]; then
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then BUILDER=docker; else BUILDER=buildah; fi
fi

build_args=()
[[ -n ${BASE:-} ]] && build_args+=(--build-arg "BASE=$BASE")

ca_bundle() {
  local f
  for f in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
    [[ -n $f && -s $f ]] && { echo "$f"; return; }
  done
}

prepare_buildah() {
  # podman's --init (smoke.sh) needs catatonit, which a --no-install-recommends install of podman leaves out.
  if ! command -v buildah >/dev/null || ! command -v podman >/dev/null || [[ ! -x /usr/libexec/podman/catatonit ]]; then
    log 'installing buildah, podman and catatonit with apt-get'
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman runc catatonit >/dev/null
  fi
  if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    log "base image $base is not present: pulling"
    if ! timeout 300 buildah pull --quiet "$base" >/dev/null 2>&1; then
      if [[ $base == "$default_base" || $base == localhost/scam-detector-base:* ]]; then
        log 'no registry answers: assembling it locally (scripts/images/base.sh)'
        "$root/scripts/images/base.sh"
      else
        log "cannot pull $base and it is not one base.sh assembles"; exit 1
      fi
    fi
  fi
  mounts=()
  local ca
  ca=$(ca_bundle)
  if [[ -n $ca ]]; then
    # A global npmrc (prefix /usr/local) naming the host CA bundle; both mounted read-only into RUN steps.
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    printf 'cafile=/run/host-ca/ca-bundle.pem\n' >"$tmp/npmrc"
    mounts+=(--volume "$ca:/run/host-ca/ca-bundle.pem:ro" --volume "$tmp/npmrc:/usr/local/etc/npmrc:ro")
  fi
}

build_one() {
  local component=$1 image="scam-detector-$1:$version"
  case $BUILDER in
    docker) docker build --file Dockerfile --target "$component" --tag "$image" ${build_args[@]+"${build_args[@]}"} . ;;
    buildah)
      buildah bud --isolation chroot --network host --layers \
        --file Dockerfile --target "$component" --tag "localhost/$image" \
        ${build_args[@]+"${build_args[@]}"} ${mounts[@]+"${mounts[@]}"} .
      ;;
    *) log "unknown BUILDER '$BUILDER'"; exit 1 ;;
  esac
}

image_size() {
  case $BUILDER in
    docker) docker image inspect --format '{{.Size}}' "scam-detector-$1:$version" ;;
    buildah) podman image inspect --format '{{.Size}}' "localhost/scam-detector-$1:$version" ;;
  esac
}

[[ $BUILDER == buildah ]] && prepare_buildah
log "builder: $BUILDER; base: $base; tag: $version; images: ${components[*]}"
mkdir -p .cache/images
status=0
for component in "${components[@]}"; do
  if [[ $component == dashboard && ! -f dashboard/package.json ]]; then
    log 'FAIL dashboard: dashboard/package.json does not exist yet (the dashboard workspace has not landed)'
    status=1
    continue
  fi
  started=$(now_ms)
  buildlog=.cache/images/build-$component.log
  if build_one "$component" >"$buildlog" 2>&1; then
    elapsed=$(($(now_ms) - started))
    seconds=$((elapsed / 1000)).$((elapsed / 100 % 10))
    size=$(image_size "$component")
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$BUILDER/${STORAGE_DRIVER:-default}" "$component" "$seconds" "$size" \
      >>.cache/images/build-times.tsv
    printf 'built scam-detector-%-9s %s  %6ss  %s MB\n' "$component:" "$version" "$seconds" "$((size / 1000000))"
  else
    tail -n 40 "$buildlog" >&2
    log "FAIL $component: the build failed (whole log: $buildlog)"
    status=1
  fi
done
exit $status
