# Shared by start.sh, stop.sh, restart.sh and topic.sh: options, paths, jar fetching and
# the checks that tell whether the broker of a data dir is running.
# shellcheck shell=bash

KAFKA_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_LIB="$KAFKA_SCRIPTS/lib"

die() { echo "kafka: $*" >&2; exit 1; }
note() { echo "kafka: $*" >&2; }

# --port P --dir DIR; anything else is left in REST_ARGS for the caller.
parse_broker_args() {
  PORT=9092
  DIR=""
  REST_ARGS=()
  while (($#)); do
    case "$1" in
      --port) [[ $# -ge 2 ]] || die "--port needs a value"; PORT="$2"; shift 2 ;;
      --port=*) PORT="${1#*=}"; shift ;;
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
      --dir=*) DIR="${1#*=}"; shift ;;
      *) REST_ARGS+=("$1"); shift ;;
    esac
  done
  [[ "$PORT" =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65535)) || die "bad --port '$PORT'"
  CONTROLLER_PORT=$((PORT + 1))
  [[ -n "$DIR" ]] || DIR="${TMPDIR:-/tmp}/clickagg-kafka-$PORT"
  mkdir -p "$(dirname "$DIR")"
  DIR="$(cd "$(dirname "$DIR")" && pwd)/$(basename "$DIR")"
  PID_FILE="$DIR/kafka.pid"
  PROPS="$DIR/server.properties"
  LOG_DIR="$DIR/logs"
}

port_answers() {  # port_answers PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the pid of the broker started from $DIR, if it is alive; a pid file left behind
# by a crash (or a pid reused by another process) does not count.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $PROPS" || return 1
  echo "$pid"
}

# Copies the broker's runtime jars from Maven Central (through ~/.m2) into lib/, once.
# The stamp holds the pom's hash, so editing the pom refetches.
fetch_jars() {
  local stamp="$KAFKA_LIB/.fetched" want
  want="$(sha256sum "$KAFKA_SCRIPTS/pom.xml" | cut -d' ' -f1)"
  [[ -f "$stamp" && "$(<"$stamp")" == "$want" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "$KAFKA_LIB"
  (
    # Two starts at once (parallel CI jobs) must not interleave their copies.
    flock 9
    [[ -f "$stamp" && "$(<"$stamp")" == "$want" ]] && exit 0
    note "fetching Kafka jars from Maven Central into $KAFKA_LIB"
    local out="$KAFKA_LIB/.fetch" log
    rm -rf "$out"
    log="$(mktemp)"
    if ! (cd "$KAFKA_SCRIPTS" && mvn -B -q -Dstyle.color=never dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$out" </dev/null >"$log" 2>&1); then
      cat "$log" >&2
      rm -f "$log"
      die "mvn could not fetch the jars"
    fi
    rm -f "$log"
    find "$KAFKA_LIB" -maxdepth 1 -name '*.jar' -delete
    mv "$out"/*.jar "$KAFKA_LIB"/
    rmdir "$out"
    echo "$want" >"$stamp"
  ) 9>"$KAFKA_LIB/.lock" || exit 1
}

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found (apt-get install openjdk-17-jre-headless)"
  fi
}

# Runs a Kafka tool class with logs on stderr.
run_tool() {  # run_tool CLASS ARGS...
  "$(java_bin)" -Xmx256m -cp "$KAFKA_LIB/*" \
    -Dlog4j.configuration="file:$KAFKA_SCRIPTS/log4j.properties" -Dclickagg.log.target=stderr \
    "$@"
}
