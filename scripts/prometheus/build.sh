#!/usr/bin/env bash
# Builds Prometheus and promtool from the Go module proxy (github.com/prometheus/prometheus, the version
# pinned in scripts/prometheus/tools/go.mod) into .cache/prometheus-<version>-<hash>/. A complete dir is reused
# as it is (well under a second). (The Prometheus Operator CRDs come from scripts/prometheus/operator-crds.sh.)
#
# Usage: scripts/prometheus/build.sh [--print-dir] [--force]
#   --print-dir  print the dir this checkout uses and exit (builds nothing)
#   --force      rebuild even if the dir is complete
# Environment: GO (go binary), PROMETHEUS_BUILD_NICE (niceness of the build, default 19).
#
# Built with -tags remove_all_sd: no cloud service discovery (the tests scrape static targets).
# Measured here (docs/operations.md): cold (empty build cache) 10.6 min of CPU — 55 min wall on 2 cores shared
# with three other cold Go builds; warm build cache, new key: 56 s; reuse of a complete dir: under a second.
# `go mod download` of the modules the first time: ~4 min. Binaries: 102 MB.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$dir/../.." && pwd)"
CACHE_ROOT="${CACHE_ROOT:-$repo/.cache}"
RECIPE=2

log() { printf '[prometheus %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

version="$(awk '$1 == "require" && $2 == "github.com/prometheus/prometheus" { print $3 }' "$dir/tools/go.mod")"
[[ -n $version ]] || die "no github.com/prometheus/prometheus version in $dir/tools/go.mod"
hash="$({ echo "recipe=$RECIPE"; cat "$dir/tools/go.mod" "$dir/tools/go.sum"; } | sha256sum | cut -c1-10)"
out="$CACHE_ROOT/prometheus-${version#v}-$hash"

force=0
for arg in "$@"; do
  case $arg in
    --print-dir) echo "$out"; exit 0 ;;
    --force) force=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

complete() { [[ -f $out/.complete && -x $out/prometheus && -x $out/promtool ]]; }
if [[ $force == 0 ]] && complete; then
  log "already built: $out"
  exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[[ -x $GO ]] || die "no Go toolchain found (set GO=/path/to/go); Go >= 1.26.7 is needed"
export GOMODCACHE="${GOMODCACHE:-$CACHE_ROOT/go/mod}"
export GOCACHE="${GOCACHE:-$CACHE_ROOT/go/build}"
export GOFLAGS="-mod=readonly -buildvcs=false"
export GOTOOLCHAIN=local CGO_ENABLED=0

mkdir -p "$CACHE_ROOT" "$GOMODCACHE" "$GOCACHE"
exec 9>"$CACHE_ROOT/.prometheus-build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.prometheus-build.lock; waiting for it"
  flock 9
  if [[ $force == 0 ]] && complete; then log "built meanwhile: $out"; exit 0; fi
fi

tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
start=$SECONDS
log "building Prometheus $version into $out with $("$GO" env GOVERSION)"
# The same stamps Prometheus's own release build (promu) sets, so `prometheus --version` tells the truth.
# Module v0.MMmmm.p is Prometheus M.mm.p (v0.316.0 is 3.16.0).
minor_digits="${version#v0.}"
minor_digits="${minor_digits%%.*}"
release="$((10#$minor_digits / 100)).$((10#$minor_digits % 100)).${version##*.}"
pkg=github.com/prometheus/common/version
ldflags="-s -w -X $pkg.Version=$release -X $pkg.Branch=module -X $pkg.Revision=$version -X $pkg.BuildUser=scam-detector"
(cd "$dir/tools" && nice -n "${PROMETHEUS_BUILD_NICE:-19}" "$GO" build -trimpath -tags remove_all_sd -ldflags "$ldflags" -o "$tmp/" \
  github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool)
build_seconds=$((SECONDS - start))

chmod -R u+w,go-w "$tmp"

for b in prometheus promtool; do [[ -x $tmp/$b ]] || die "build produced no $b"; done
echo "prometheus=$version go=$("$GO" env GOVERSION) build=${build_seconds}s built=$(date -u +%FT%TZ)" >"$tmp/BUILDINFO"
touch "$tmp/.complete"
rm -rf "$out"
mv "$tmp" "$out"
for old in "$CACHE_ROOT"/prometheus-*; do
  [[ -d $old && $old != "$out" && $old != *.tmp ]] || continue
  log "removing old dir $old"
  rm -rf "$old"
done
log "built in ${build_seconds}s: $out ($(du -sh "$out" | cut -f1))"
