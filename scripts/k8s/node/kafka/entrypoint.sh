#!/bin/sh
# Entrypoint of the single-broker Kafka image the real-node suite runs in a pod: KRaft broker and
# controller in one JVM, the same settings as scripts/kafka/kafka.sh. The client listener binds all
# addresses and advertises POD_IP (the downward API), which pods and the node itself reach; the
# controller stays on 127.0.0.1; the rest is scripts/kafka/single-node.properties. Storage is formatted on first start in KAFKA_DATA_DIR (an emptyDir).
set -eu
: "${POD_IP:?POD_IP must be set (fieldRef status.podIP)}"
port=${KAFKA_PORT:-9092}
data=${KAFKA_DATA_DIR:-/var/lib/kafka}
config=/tmp/server.properties
cp_libs='/opt/kafka/libs/*'
cat >"$config" <<CONF
controller.quorum.bootstrap.servers=127.0.0.1:9093
listeners=PLAINTEXT://0.0.0.0:$port,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://$POD_IP:$port,CONTROLLER://127.0.0.1:9093
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/data
CONF
grep -v '^#' /opt/kafka/single-node.properties >>"$config"
if [ ! -f "$data/data/meta.properties" ]; then
  id=$(java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile=/opt/kafka/log4j2.xml -cp "$cp_libs" \
    kafka.tools.StorageTool random-uuid | tail -n1)
  java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile=/opt/kafka/log4j2.xml -cp "$cp_libs" \
    kafka.tools.StorageTool format --standalone -t "$id" -c "$config"
fi
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
  -Dlog4j2.configurationFile=/opt/kafka/log4j2.xml -cp "$cp_libs" kafka.Kafka "$config"
