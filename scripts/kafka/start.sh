#!/usr/bin/env bash
# Starts a single-node Kafka 3.9 broker (KRaft, broker+controller in one JVM) for tests and
# local runs:  scripts/kafka/start.sh [--port 9092] [--dir DIR]
# Clients use 127.0.0.1:PORT; the controller listens on PORT+1. Data, logs and the pid file
# live in DIR (default ${TMPDIR:-/tmp}/clickagg-kafka-PORT), which a restart keeps.
# Idempotent: exits 0 at once when the broker of DIR is already running and answering.
set -euo pipefail
source "$(dirname "$0")/common.sh"
parse_broker_args "$@"
((${#REST_ARGS[@]} == 0)) || die "unknown argument '${REST_ARGS[0]}' (usage: start.sh [--port P] [--dir DIR])"

START_TIMEOUT_S="${CLICKAGG_KAFKA_START_TIMEOUT:-90}"
HEAP="${CLICKAGG_KAFKA_HEAP:-512m}"

if pid="$(running_pid)"; then
  if port_answers "$PORT"; then
    note "broker already running (pid $pid, 127.0.0.1:$PORT, $DIR)"
    exit 0
  fi
  die "broker pid $pid of $DIR is alive but 127.0.0.1:$PORT does not answer (still starting? see $LOG_DIR/server.log)"
fi
for p in "$PORT" "$CONTROLLER_PORT"; do
  port_answers "$p" && die "127.0.0.1:$p is already in use by another process (pick another --port)"
done

fetch_jars
mkdir -p "$DIR/data" "$LOG_DIR"

# Rewritten on every start so a changed --port takes effect; the data dir stays.
cat >"$PROPS" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=4
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
# Tests create and drop many small topics; small segments keep the data dir small.
log.segment.bytes=67108864
log.retention.hours=24
PROPS

JAVA="$(java_bin)"
CP="$KAFKA_LIB/*"
if [[ ! -f "$DIR/data/meta.properties" ]]; then
  cluster_id="$("$JAVA" -cp "$CP" -Dlog4j.configuration="file:$KAFKA_SCRIPTS/log4j.properties" \
    -Dclickagg.log.target=stderr kafka.tools.StorageTool random-uuid)"
  "$JAVA" -cp "$CP" -Dlog4j.configuration="file:$KAFKA_SCRIPTS/log4j.properties" \
    -Dclickagg.log.target=stderr kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" \
    >"$LOG_DIR/format.log" 2>&1 || { cat "$LOG_DIR/format.log" >&2; die "formatting $DIR/data failed"; }
fi

# The log is appended across restarts: only lines after this offset belong to this start.
touch "$LOG_DIR/server.log"
log_offset=$(stat -c %s "$LOG_DIR/server.log")

# setsid detaches the JVM from the caller's session and its stdio, so ctest and shells
# do not wait on it; the exec keeps the recorded pid the JVM's.
setsid "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
  -Dlog4j.configuration="file:$KAFKA_SCRIPTS/log4j.properties" -Dclickagg.log.target=file \
  -Dkafka.logs.dir="$LOG_DIR" \
  -cp "$CP" kafka.Kafka "$PROPS" </dev/null >"$LOG_DIR/stdout.log" 2>&1 &
pid=$!
echo "$pid" >"$PID_FILE"

show_failure() {
  echo "---- $LOG_DIR/server.log (tail) ----" >&2
  tail -c +$((log_offset + 1)) "$LOG_DIR/server.log" | tail -n 40 >&2
  echo "---- $LOG_DIR/stdout.log (tail) ----" >&2
  tail -n 20 "$LOG_DIR/stdout.log" >&2
}

t0=$SECONDS
while :; do
  if ! kill -0 "$pid" 2>/dev/null; then
    show_failure
    rm -f "$PID_FILE"
    die "broker exited during startup"
  fi
  if tail -c +$((log_offset + 1)) "$LOG_DIR/server.log" | grep -q "Kafka Server started" \
     && port_answers "$PORT"; then
    break
  fi
  if ((SECONDS - t0 >= START_TIMEOUT_S)); then
    show_failure
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    die "broker not ready after ${START_TIMEOUT_S}s"
  fi
  sleep 0.2
done
note "broker started in $((SECONDS - t0))s (pid $pid, 127.0.0.1:$PORT, controller :$CONTROLLER_PORT, $DIR)"
