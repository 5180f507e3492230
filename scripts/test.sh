#!/usr/bin/env bash
# Sets everything up and runs every test: packages, build, ctest, then (with no ctest
# arguments) the decoders' fuzz smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest -j2 --output-on-failure --timeout 600 "$@")
if (($# == 0)); then ./scripts/fuzz.sh; fi
