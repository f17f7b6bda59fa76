#!/usr/bin/env bash
# CI proof that the four images work, run the way the chart runs them: the image's own user (checked to be
# uid 1000), a read-only root filesystem with a tmpfs /tmp, all capabilities dropped, no privilege escalation.
#   trainer    writes a model (train --samples 3000 --folds 3) into a bind mount; cannot write to /app
#   producer   sends N events to a local broker (its default CMD, configured by env only); /readyz, /healthz;
#              keeps producing with PRODUCER_COUNT=0 and stops cleanly on SIGTERM
#   processor  scores them from the broker with the model mounted read-only (MODEL_PATH): N results arrive on
#              the output topic and they are well-formed scores by that model; /readyz; clean exit on SIGTERM
#   dashboard  answers /healthz, serves the page (GET / is HTML), counts the N scored results; clean SIGTERM
# The broker is our own (scripts/kafka/kafka.sh with its own run dir and free ports, random topic names) and is
# removed at the end, with every container, whatever happens. Prints PASS/FAIL per check; exits 1 on any FAIL.
# Environment: BASE (passed to the build), EVENTS (default 2000), SKIP_BUILD=1 (use the images as they are),
# REPORT=FILE (also write the counts as JSON, the shape scripts/test-summary.mjs adds up).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.cache/node/node_modules/.bin:$PATH"
version=$(sed -n 's/^appVersion:[[:space:]]*"\{0,1\}\([^"[:space:]]*\)"\{0,1\}.*$/\1/p' charts/scam-detector/Chart.yaml)
events=${EVENTS:-2000}
id=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
work="$root/.cache/images/smoke-$id"
kafka_home="$root/.cache/images/kafka-smoke-$id"
raw="smoke_raw_$id" scored="smoke_scored_$id" dlq="smoke_dlq_$id"
failures=0
passes=0
containers=()

pass() { printf 'PASS  %s\n' "$*"; passes=$((passes + 1)); }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
check() { # check "description" command...: PASS when the command succeeds; its output is shown on FAIL only
  local what=$1 out; shift
  if out=$("$@" 2>&1); then pass "$what"; else fail "$what"; [[ -z $out ]] || head -n 8 <<<"$out" | sed 's/^/      /'; fi
}
log() { printf '[smoke] %s\n' "$*" >&2; }

image() { echo "localhost/scam-detector-$1:$version"; }
# As the chart runs them (restricted pod security), and as podman must run on this host (MACHINE-NOTES).
RUN=(podman --runtime runc run --init --network host --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
  --read-only --tmpfs /tmp:rw,mode=1777,size=256m --cap-drop ALL --security-opt no-new-privileges)

kafka() {
  KAFKA_HOME_DIR="$kafka_home" KAFKA_PORT=$kafka_port KAFKA_CONTROLLER_PORT=$controller_port \
    INPUT_TOPIC=$raw OUTPUT_TOPIC=$scored DLQ_TOPIC=$dlq KAFKA_PARTITIONS=3 KAFKA_HEAP_OPTS='-Xms256m -Xmx512m' \
    scripts/kafka/kafka.sh "$@"
}
kafka_tool() { java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
  -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2-tools.xml" -cp "$root/.cache/kafka/libs-4.3.1/*" "$@"; }
# Sum of the end offsets of a topic's partitions = records on it (nothing is deleted during the test).
topic_count() {
  kafka_tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "127.0.0.1:$kafka_port" --topic "$1" 2>/dev/null |
    awk -F: '{ n += $3 } END { print n + 0 }'
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    port_in_use "$p" || { echo "$p"; return; }
  done
}

cleanup() {
  local c
  for c in "${containers[@]}"; do podman rm --force --time 0 "$c" >/dev/null 2>&1; done
  [[ -d $kafka_home ]] && kafka clean >/dev/null 2>&1
  rm -rf "$work" "$kafka_home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # wait_for SECONDS command...: retry every 0.5 s
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.5; done
}
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1"; }
http_ok() { [[ $(http_code "$1") == 200 ]]; }

# Runs as uid 1000 with a read-only root: the container's main process (not just the image config) and a
# write attempt under /app (refused) next to one under /tmp (allowed).
check_user_and_rootfs() {
  local name=$1 ctr=$2 uid pid
  # The node process's host pid, then its real and effective uid from /proc (no user namespace: same uid).
  pid=$(podman top "$ctr" hpid args 2>/dev/null | awk '$2 == "node" { print $1; exit }')
  uid=$(awk '/^Uid:/ { print $2 ":" $3 }' "/proc/${pid:-0}/status" 2>/dev/null)
  check "$name: the node process runs as uid 1000 (real:effective uid '${uid:-none}')" test "$uid" = 1000:1000
  check "$name: root filesystem is read-only (writing /app fails)" \
    bash -c "! podman exec '$ctr' sh -c 'echo x > /app/.probe' 2>/dev/null"
  check "$name: /tmp is writable (tmpfs)" podman exec "$ctr" sh -c 'echo x > /tmp/.probe'
}

# SIGTERM (what the kubelet sends) must end the process cleanly (exit 0) well within the grace period.
check_sigterm() {
  local name=$1 ctr=$2 started code
  started=$SECONDS
  podman stop --time 25 "$ctr" >/dev/null 2>&1
  code=$(podman inspect --format '{{.State.ExitCode}}' "$ctr" 2>/dev/null)
  check "$name: SIGTERM ends it cleanly (exit ${code:-?} after $((SECONDS - started)) s; want 0 within 15 s)" \
    test "${code:-x}" = 0 -a $((SECONDS - started)) -lt 15
}

show_logs() { log "last log lines of $1:"; podman logs --tail 15 "$1" 2>&1 | sed 's/^/    /' >&2; }

# --- build ------------------------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log 'building the images (cached layers are reused)'
  build_started=$SECONDS
  if BASE=${BASE:-} scripts/images/build.sh; then
    pass "images built in $((SECONDS - build_started)) s"
  else
    fail 'images built (see .cache/images/build-<component>.log)'
  fi
fi

# --- static image checks ----------------------------------------------------------------------------------
for c in trainer producer processor dashboard; do
  if ! podman image exists "$(image "$c")"; then
    fail "$c: image $(image "$c") exists"
    continue
  fi
  user=$(podman image inspect --format '{{.Config.User}}' "$(image "$c")")
  cmd=$(podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$(image "$c")")
  size=$(podman image inspect --format '{{.Size}}' "$(image "$c")")
  check "$c: image user is numeric 1000 ('$user'), $((size / 1000000)) MB" test "${user%%:*}" = 1000
  check "$c: runs node, not npm ($cmd)" bash -c "[[ '$cmd' == *'\"node\"'* && '$cmd' != *npm* ]]"
done
check "tag is the chart's appVersion ($version), not latest" test -n "$version" -a "$version" != latest

mkdir -p "$work" && chown 1000:1000 "$work"

# --- trainer ----------------------------------------------------------------------------------------------
if podman image exists "$(image trainer)"; then
  log 'trainer: train --prototype --samples 3000 --folds 3 --out /work/model.json'
  started=$SECONDS
  if "${RUN[@]}" --rm -v "$work:/work:rw" "$(image trainer)" \
    train --prototype --samples 3000 --seed 7 --folds 3 --out /work/model.json >"$work/trainer.log" 2>&1; then
    pass "trainer: exits 0 after training ($((SECONDS - started)) s)"
  else
    fail 'trainer: exits 0 after training'; tail -n 15 "$work/trainer.log" >&2
  fi
  check 'trainer: the model file was written by uid 1000' test "$(stat -c %u "$work/model.json" 2>/dev/null)" = 1000
  model_version=$(node -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = m.model_version;
    if (typeof v !== "string" || !/^knn-[0-9a-f]{16}$/.test(v)) process.exit(1);
    console.log(v);' "$work/model.json" 2>/dev/null)
  check "trainer: the model is JSON with a version ('${model_version:-none}')" test -n "$model_version"
  check "trainer: the training Job's arguments work (--out /tmp/model.json on the tmpfs /tmp)" \
    "${RUN[@]}" --rm "$(image trainer)" train --prototype --samples 300 --seed 1 --folds 2 --out /tmp/model.json
  check 'trainer: cannot write into the read-only /app' bash -c \
    "! ${RUN[*]} --rm '$(image trainer)' train --prototype --samples 300 --folds 2 --out /app/model.json >/dev/null 2>&1"
else
  fail 'trainer: image missing, no model'
fi

# --- broker -----------------------------------------------------------------------------------------------
kafka_port=$(free_port)
controller_port=$(free_port)
log "starting our own broker on 127.0.0.1:$kafka_port (topics $raw, $scored, $dlq)"
if kafka up >"$work/kafka.log" 2>&1; then
  pass "broker up on 127.0.0.1:$kafka_port with topics $raw, $scored, $dlq"
else
  fail 'broker up'; tail -n 20 "$work/kafka.log" >&2
  exit 1
fi
brokers="127.0.0.1:$kafka_port"

# --- producer ---------------------------------------------------------------------------------------------
if podman image exists "$(image producer)"; then
  log "producer: $events events to $raw"
  started=$SECONDS
  # The image's default profile, the world, from 03:00 in Manila (its quietest hour, named so that the check is
  # the same at any hour it runs) at 20,000x: a few seconds of wall time.
  if "${RUN[@]}" --rm -e HTTP_PORT="$(free_port)" -e KAFKA_BROKERS="$brokers" -e INPUT_TOPIC="$raw" -e PRODUCER_COUNT="$events" \
    -e PRODUCER_WORLD_START=03:00 -e PRODUCER_SPEEDUP=20000 -e PRODUCER_SEED=11 "$(image producer)" >"$work/producer.log" 2>&1; then
    pass "producer: exits 0 after sending $events events ($((SECONDS - started)) s)"
  else
    fail 'producer: exits 0 after sending'; tail -n 15 "$work/producer.log" >&2
  fi
  got=$(topic_count "$raw")
  check "producer: $raw holds exactly $events records (got $got)" test "$got" = "$events"

else
  fail 'producer: image missing'
fi

# --- processor --------------------------------------------------------------------------------------------
if podman image exists "$(image processor)" && [[ -f $work/model.json ]]; then
  http=$(free_port)
  ctr="smoke-processor-$id"
  containers+=("$ctr")
  log "processor: scoring $raw -> $scored with the model mounted read-only"
  started=$SECONDS
  "${RUN[@]}" -d --name "$ctr" -v "$work/model.json:/models/model.json:ro" -e MODEL_PATH=/models/model.json \
    -e KAFKA_BROKERS="$brokers" -e INPUT_TOPIC="$raw" -e OUTPUT_TOPIC="$scored" -e DLQ_TOPIC="$dlq" \
    -e CONSUMER_GROUP="smoke_group_$id" -e HTTP_PORT="$http" "$(image processor)" >/dev/null
  if wait_for 60 http_ok "http://127.0.0.1:$http/readyz"; then
    pass "processor: /readyz is 200 (model loaded, partitions assigned) after $((SECONDS - started)) s"
  else
    fail "processor: /readyz is 200 (last: $(http_code "http://127.0.0.1:$http/readyz"))"; show_logs "$ctr"
  fi
  check 'processor: /healthz is 200' http_ok "http://127.0.0.1:$http/healthz"
  scored_all() { [[ $(topic_count "$scored") -ge $events ]]; }
  wait_for 90 scored_all
  got=$(topic_count "$scored")
  check "processor: $events scored results on $scored (got $got in $((SECONDS - started)) s)" test "$got" = "$events"
  check "processor: nothing dead-lettered on $dlq" test "$(topic_count "$dlq")" = 0
  kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$brokers" --topic "$scored" \
    --from-beginning --max-messages 50 --timeout-ms 30000 >"$work/scored.jsonl" 2>/dev/null
  check "processor: the results are scores by the mounted model (50 read back: label, probabilities, version $model_version)" \
    node -e '
      const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
      if (lines.length !== 50) throw new Error(`read ${lines.length} results`);
      for (const line of lines) {
        const r = JSON.parse(line);
        const [p0, p1] = r.predicted_proba;
        if (![0, 1].includes(r.predicted_label)) throw new Error(`label ${r.predicted_label}`);
        if (!(p0 >= 0 && p1 >= 0 && Math.abs(p0 + p1 - 1) < 1e-9)) throw new Error(`probabilities ${r.predicted_proba}`);
        if (r.model_version !== process.argv[2]) throw new Error(`model ${r.model_version}`);
        if (typeof r.call?.caller !== "string") throw new Error("no call");
      }' "$work/scored.jsonl" "$model_version"
  check_user_and_rootfs processor "$ctr"
  check_sigterm processor "$ctr" || show_logs "$ctr"
else
  fail 'processor: image or model missing'
fi

# --- producer, long-running: after the processor has stopped, so its extra events are not scored ---------
if podman image exists "$(image producer)"; then
  http=$(free_port)
  ctr="smoke-producer-$id"
  containers+=("$ctr")
  started=$SECONDS
  "${RUN[@]}" -d --name "$ctr" -e HTTP_PORT="$http" -e KAFKA_BROKERS="$brokers" -e INPUT_TOPIC="$raw" \
    -e PRODUCER_COUNT=0 -e PRODUCER_WORLD_START=03:00 "$(image producer)" >/dev/null
  if wait_for 60 http_ok "http://127.0.0.1:$http/readyz"; then
    pass "producer: /readyz is 200 (connected to Kafka) after $((SECONDS - started)) s"
  else
    fail "producer: /readyz is 200 (last: $(http_code "http://127.0.0.1:$http/readyz"))"; show_logs "$ctr"
  fi
  check 'producer: /healthz is 200' http_ok "http://127.0.0.1:$http/healthz"
  producing() { [[ $(topic_count "$raw") -gt $events ]]; }
  check 'producer: with PRODUCER_COUNT=0 it keeps producing' wait_for 30 producing
  check_user_and_rootfs producer "$ctr"
  check_sigterm producer "$ctr" || show_logs "$ctr"
fi

# --- dashboard --------------------------------------------------------------------------------------------
if podman image exists "$(image dashboard)"; then
  http=$(free_port)
  ctr="smoke-dashboard-$id"
  containers+=("$ctr")
  log "dashboard: reading $scored on port $http"
  started=$SECONDS
  "${RUN[@]}" -d --name "$ctr" -e KAFKA_BROKERS="$brokers" -e OUTPUT_TOPIC="$scored" -e DLQ_TOPIC="$dlq" \
    -e DASHBOARD_FROM_BEGINNING=true -e PORT="$http" "$(image dashboard)" >/dev/null
  if wait_for 60 http_ok "http://127.0.0.1:$http/healthz"; then
    pass "dashboard: /healthz is 200 after $((SECONDS - started)) s"
  else
    fail "dashboard: /healthz is 200 (last: $(http_code "http://127.0.0.1:$http/healthz"))"; show_logs "$ctr"
  fi
  curl -s --max-time 5 -D "$work/page.headers" -o "$work/page.html" "http://127.0.0.1:$http/"
  check 'dashboard: GET / is the HTML page (200, text/html, <html>, a script from /assets/)' bash -c \
    "grep -q '^HTTP/1.1 200' '$work/page.headers' && grep -qi '^content-type: text/html' '$work/page.headers' &&
     grep -qi '<html' '$work/page.html' && grep -q 'src=\"/assets/' '$work/page.html'"
  total() { curl -s --max-time 3 "http://127.0.0.1:$http/api/stats" | jq -r '.total_scored // 0' 2>/dev/null; }
  counted_all() { [[ $(total) -ge $events ]]; }
  wait_for 60 counted_all
  got=$(total)
  check "dashboard: /api/stats counts the $events scored results from Kafka (got ${got:-none})" test "${got:-0}" = "$events"
  check_user_and_rootfs dashboard "$ctr"
  check_sigterm dashboard "$ctr" || show_logs "$ctr"
else
  fail 'dashboard: image missing (dashboard not built)'
fi

echo
if [ -n "${REPORT:-}" ]; then
  mkdir -p "$(dirname "$REPORT")"
  printf '{"numPassedTests":%d,"numFailedTests":%d,"numFailedTestSuites":0}\n' "$passes" "$failures" >"$REPORT"
fi
if ((failures)); then
  echo "images-smoke: FAIL ($failures failed checks)"
  exit 1
fi
echo 'images-smoke: PASS (all checks)'
