#!/usr/bin/env bash
# Builds the single-broker Kafka image the real-node suite runs in a pod (a stand-in for Strimzi's, whose
# operator cannot be built here), from nothing a registry serves:
#   FROM the locally assembled Debian 12 base (scripts/images/base.sh),
#   a Java 17 runtime made with jlink from this machine's JDK (cached in .cache/k8s/kafka-jre-<version>),
#   the Kafka jars scripts/kafka/kafka.sh fetches from Maven Central (the same jars as every local broker),
#   scripts/k8s/node/kafka/{entrypoint.sh,log4j2.xml}, scripts/kafka/single-node.properties; user 1000:1000, so it runs under Restricted.
# Prints the image name (localhost/scam-detector-kafka-test:<kafka version>-<hash of its inputs>); an image
# of that name is reused as it is.
# Usage: scripts/k8s/node/kafka-image.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cache="${CACHE_ROOT:-$root/.cache}/k8s"
log() { printf '[kafka-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

libs="$("$root/scripts/kafka/kafka.sh" jars)"
kafka_version="${libs##*/libs-}"
java_version="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')"
hash="$( { echo "java=$java_version"; ls "$libs"; cat "$here/kafka/entrypoint.sh" "$here/kafka/log4j2.xml" "$root/scripts/kafka/single-node.properties" "$0"; } | sha256sum | cut -c1-10)"
image="localhost/scam-detector-kafka-test:$kafka_version-$hash"
if buildah inspect --type image "$image" >/dev/null 2>&1; then
  log "already built: $image"
  echo "$image"
  exit 0
fi

base=localhost/scam-detector-base:node24
"$root/scripts/images/base.sh" >&2

jre="$cache/kafka-jre-$java_version"
if [[ ! -f $jre/.complete ]]; then
  log "jlink: a Java $java_version runtime into $jre"
  rm -rf "$jre" "$jre.tmp"
  mkdir -p "$cache"
  # Every module of the JDK (Kafka and its dependencies reach into several), without debug symbols,
  # headers or man pages.
  modules="$(java --list-modules | sed 's/@.*//' | paste -sd, -)"
  nice -n 10 jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$jre.tmp" 2>&1 | grep -v 'deprecated' >&2 || true
  [[ -x $jre.tmp/bin/java ]] || { log "error: jlink made no runtime"; exit 1; }
  touch "$jre.tmp/.complete"
  mv "$jre.tmp" "$jre"
fi

log "building $image"
c="$(buildah from "$base")"
trap 'buildah rm "$c" >/dev/null 2>&1 || true' EXIT
buildah copy --chown 0:0 "$c" "$jre" /opt/java >/dev/null
buildah copy --chown 0:0 "$c" "$libs" /opt/kafka/libs >/dev/null
buildah copy --chown 0:0 --chmod 0755 "$c" "$here/kafka/entrypoint.sh" /opt/kafka/entrypoint.sh >/dev/null
buildah copy --chown 0:0 --chmod 0644 "$c" "$here/kafka/log4j2.xml" /opt/kafka/log4j2.xml >/dev/null
buildah copy --chown 0:0 --chmod 0644 "$c" "$root/scripts/kafka/single-node.properties" /opt/kafka/single-node.properties >/dev/null
buildah config --env PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env JAVA_HOME=/opt/java --user 1000:1000 --workingdir /tmp --port 9092 \
  --entrypoint '["/opt/kafka/entrypoint.sh"]' --cmd '[]' \
  --label org.opencontainers.image.title=scam-detector-kafka-test "$c"
buildah commit -q "$c" "$image" >/dev/null
log "built $image"
echo "$image"
