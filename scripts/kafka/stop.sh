#!/usr/bin/env bash
# Stops the broker that start.sh started from DIR:  scripts/kafka/stop.sh [--port P] [--dir DIR]
# [--kill]. SIGTERM lets it shut down cleanly (SIGKILL after a grace period); --kill kills
# at once, as a crash would. Exits 0 when no broker of DIR is running. The data dir stays.
set -euo pipefail
source "$(dirname "$0")/common.sh"
parse_broker_args "$@"
HARD=0
for a in "${REST_ARGS[@]}"; do
  case "$a" in
    --kill) HARD=1 ;;
    *) die "unknown argument '$a' (usage: stop.sh [--port P] [--dir DIR] [--kill])" ;;
  esac
done
GRACE_S="${CLICKAGG_KAFKA_STOP_TIMEOUT:-30}"

if ! pid="$(running_pid)"; then
  rm -f "$PID_FILE"
  exit 0
fi

# Gone once every thread has exited (the ports are free then). A zombie leader with no
# threads left counts as gone: where PID 1 does not reap, it would linger forever.
gone() {
  [[ -r "/proc/$pid/stat" ]] || return 0
  [[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" == Z ]] || return 1
  local threads
  threads=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  ((threads <= 1))
}
if ((HARD)); then
  kill -KILL "$pid" 2>/dev/null || true
else
  kill -TERM "$pid" 2>/dev/null || true
  t0=$SECONDS
  while ! gone && ((SECONDS - t0 < GRACE_S)); do sleep 0.2; done
  if ! gone; then
    note "broker pid $pid still up after ${GRACE_S}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
fi
for _ in $(seq 100); do gone && break; sleep 0.1; done
gone || die "broker pid $pid did not exit"
rm -f "$PID_FILE"
note "broker stopped (pid $pid, $DIR)"
