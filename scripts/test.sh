#!/usr/bin/env bash
# Sets everything up and runs every test: packages, build, then ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest -j2 --output-on-failure --timeout 600 "$@"
