#!/usr/bin/env bash
# Restarts the broker of DIR keeping its data, as tests do mid-stream:
#   scripts/kafka/restart.sh [--port P] [--dir DIR] [--kill]
# --kill stops it with SIGKILL first (a crash) instead of a clean shutdown.
set -euo pipefail
here="$(dirname "$0")"
"$here/stop.sh" "$@"
args=()
for a in "$@"; do [[ "$a" == "--kill" ]] || args+=("$a"); done
exec "$here/start.sh" "${args[@]}"
