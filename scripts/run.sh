#!/usr/bin/env bash
# Sets everything up and runs the all-in-one job: generated clicks -> engine -> SQLite ->
# query API and dashboard on http://127.0.0.1:8080 (Ctrl-C stops it; a restart, even after a
# crash, continues where it stopped).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TARGETS=clickagg ./scripts/build.sh  # the binary alone, not every test and benchmark
exec "./${BUILD_DIR:-build}/host/cli/clickagg" run "$@"
