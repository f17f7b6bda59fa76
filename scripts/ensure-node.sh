#!/usr/bin/env bash
# Installs Node 24 LTS from the npm registry into .cache/node unless a Node 24 is already first on PATH.
# Usage: scripts/ensure-node.sh && export PATH="$PWD/.cache/node/node_modules/.bin:$PATH"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/.cache/node"
if [ -x "$prefix/node_modules/.bin/node" ] && "$prefix/node_modules/.bin/node" --version | grep -q '^v24\.'; then
  exit 0
fi
if command -v node >/dev/null && node --version | grep -q '^v24\.'; then
  exit 0
fi
echo "Installing Node 24 into $prefix (from the npm registry)..."
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-save --no-audit --no-fund node@24 >/dev/null
"$prefix/node_modules/.bin/node" --version
