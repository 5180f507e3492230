#!/usr/bin/env bash
# Creates, deletes, lists and describes topics on the local broker (Kafka's TopicCommand):
#   scripts/kafka/topic.sh create NAME [--partitions 4] [--port P | --bootstrap HOST:PORT]
#   scripts/kafka/topic.sh delete NAME [--port P | --bootstrap HOST:PORT]
#   scripts/kafka/topic.sh list|describe [NAME] [--port P | --bootstrap HOST:PORT]
# create and delete are idempotent (an existing / missing topic is not an error).
set -euo pipefail
source "$(dirname "$0")/common.sh"
usage="usage: topic.sh create|delete|list|describe [NAME] [--partitions N] [--port P | --bootstrap HOST:PORT]"

action="${1:-}"
[[ -n "$action" ]] || die "$usage"
shift
name=""
if [[ $# -gt 0 && "$1" != --* ]]; then name="$1"; shift; fi
parse_broker_args "$@"
partitions=4
bootstrap="127.0.0.1:$PORT"
set -- "${REST_ARGS[@]}"
while (($#)); do
  case "$1" in
    --partitions) [[ $# -ge 2 ]] || die "--partitions needs a value"; partitions="$2"; shift 2 ;;
    --bootstrap) [[ $# -ge 2 ]] || die "--bootstrap needs a value"; bootstrap="$2"; shift 2 ;;
    *) die "unknown argument '$1' ($usage)" ;;
  esac
done
[[ "$partitions" =~ ^[1-9][0-9]*$ ]] || die "bad --partitions '$partitions'"

# Without this the tool retries an absent broker for a minute before failing.
host="${bootstrap%:*}" port="${bootstrap##*:}"
(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null || die "no broker answers at $bootstrap"
fetch_jars
cmd=(org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap")
case "$action" in
  create)
    [[ -n "$name" ]] || die "$usage"
    run_tool "${cmd[@]}" --create --if-not-exists --topic "$name" \
      --partitions "$partitions" --replication-factor 1 ;;
  delete)
    [[ -n "$name" ]] || die "$usage"
    run_tool "${cmd[@]}" --delete --if-exists --topic "$name" ;;
  list) run_tool "${cmd[@]}" --list ;;
  describe) run_tool "${cmd[@]}" --describe ${name:+--topic "$name"} ;;
  *) die "$usage" ;;
esac
