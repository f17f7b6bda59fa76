#!/bin/sh
# Run inside the image build (Dockerfile, <component>-deps stages), in two steps so the npm layer is reused
# when only sources change:
#   runtime-deps.sh install <workspace>   production dependencies of one workspace (npm ci --omit=dev -w)
#   runtime-deps.sh assemble <entry>      the workspace packages npm linked for it (node_modules/@scam-detector/*
#                                          -> ../../<path>) with their dist/ from ./built, at the same relative
#                                          paths so the links resolve; checks <entry> exists. Result: /runtime.
# Type declarations and source maps in node_modules are never loaded at run time (half of
# @kubernetes/client-node's 65 MB) and are dropped.
set -eu
case "$1" in
  install)
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn --workspace "$2"
    ;;
  assemble)
    mkdir /runtime
    mv node_modules package.json /runtime/
    for link in /runtime/node_modules/@scam-detector/*; do
      ws=$(readlink "$link")
      ws=${ws#../../}
      mkdir -p "/runtime/$ws"
      cp -a "built/$ws/." "/runtime/$ws/"
    done
    find /runtime/node_modules -type f \( -name '*.d.ts' -o -name '*.d.[cm]ts' -o -name '*.map' \) -delete
    test -f "/runtime/$2"
    ;;
  *)
    echo "usage: runtime-deps.sh install <workspace> | assemble <entry>" >&2
    exit 2
    ;;
esac
