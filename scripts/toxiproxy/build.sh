#!/usr/bin/env bash
# Builds Toxiproxy (the TCP fault injector, github.com/Shopify/toxiproxy/v2) from the Go module proxy into
# .cache/toxiproxy-<version>/toxiproxy-server and prints that path. A complete build is reused as it is
# (warm: well under a second). The fault tests (services/processor/test/faults) and the soak use it.
#
# Usage: scripts/toxiproxy/build.sh
# Environment: GO (go binary, Go >= 1.23), TOXIPROXY_BUILD_NICE (niceness of the build, default 19).
# Cold: ~1-2 min on two shared cores (modules + build cache under .cache/go, shared with scripts/k8s).
set -euo pipefail

TOXIPROXY_VERSION=2.12.0
REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_ROOT=$(realpath -m -- "${CACHE_ROOT:-$REPO_ROOT/.cache}") # .cache may be a symlink
BIN_DIR="$CACHE_ROOT/toxiproxy-$TOXIPROXY_VERSION"
BIN="$BIN_DIR/toxiproxy-server"

log() { printf '[toxiproxy %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ -x $BIN && -f $BIN_DIR/.complete ]]; then
  echo "$BIN"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[[ -x $GO ]] || { log "error: no Go toolchain found (set GO=/path/to/go)"; exit 1; }

export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/go/mod}"
export GOCACHE="${GOCACHE:-$CACHE_ROOT/go/build}"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false"
mkdir -p "$CACHE_ROOT" "$GOMODCACHE" "$GOCACHE"

# One build at a time (CI and engineers share the cache); a build finished meanwhile is reused.
exec 9>"$CACHE_ROOT/.toxiproxy-build.lock"
flock 9
if [[ -x $BIN && -f $BIN_DIR/.complete ]]; then
  echo "$BIN"
  exit 0
fi

start=$SECONDS
tmp="$BIN_DIR.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
log "building toxiproxy v$TOXIPROXY_VERSION from the Go module proxy ($("$GO" env GOVERSION))"
# `go install pkg@version` builds exactly the module's own go.mod/go.sum (checked against the checksum DB).
GOBIN="$tmp" nice -n "${TOXIPROXY_BUILD_NICE:-19}" "$GO" install -trimpath \
  "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION"
mv "$tmp/server" "$tmp/toxiproxy-server"
touch "$tmp/.complete"
rm -rf "$BIN_DIR"
mv "$tmp" "$BIN_DIR"
log "built $BIN in $((SECONDS - start)) s"
echo "$BIN"
