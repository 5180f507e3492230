#!/usr/bin/env bash
# Configures and builds clickagg into ./build (incremental; ccache when present).
# Extra arguments go to CMake's configure step, e.g. -DCLICKAGG_ENGINE_ONLY=ON; TARGETS (space-
# separated) builds only those, e.g. TARGETS=clickagg.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# Paths relative to the checkout, so a fresh clone elsewhere still hits the compiler cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DCLICKAGG_WERROR=ON "$@" >/dev/null
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j"$(nproc)" "${targets[@]}"
