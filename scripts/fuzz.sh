#!/usr/bin/env bash
# Builds the decoders' libFuzzer targets (clang, address and undefined-behaviour sanitizers)
# into ./build-fuzz and runs them: every seed of tests/fuzz/corpus, then a short run of each.
#   scripts/fuzz.sh [SECONDS per target, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
dir=${FUZZ_BUILD_DIR:-build-fuzz}
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLICKAGG_FUZZ=ON \
  -DCLICKAGG_ENGINE_ONLY=ON -DCLICKAGG_FUZZ_SECONDS="${1:-15}" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_binary fuzz_json fuzz_log fuzz_splitter
cd "$dir"
ctest -j2 -L fuzz --output-on-failure
