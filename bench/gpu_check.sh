#!/usr/bin/env bash
# The first of two runs on a GPU machine (bench/RESULTS.md, "GPU check"): there, in under six
# minutes whatever happens, from the working tree with the bundle made here
# (bench/gpu_bundle.sh, copied with the tree as gpu-bundle/):
#   1. the GPU, driver, CUDA runtime, and whether compute-sanitizer can attach;
#   2. the binaries: the bundle's, or (when they do not start there) an engine-only build of
#      just the GPU targets, with GoogleTest built from the bundle's sources;
#   3. every test that runs the GPU engine, in three processes, with CLICKAGG_REQUIRE_GPU=1 so
#      a missing or unusable device fails instead of skipping: test_gpu whole, the semantics
#      case files on the GPU engine, the GPU engine against the reference model;
#   4. compute-sanitizer memcheck and initcheck on a small set;
#   5. a table, printed last; every log under $OUT.
# Usage: bench/gpu_check.sh   (OUT: results folder; DEADLINE: seconds for all of it, 330)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/build-gpu-check/out}
DEADLINE=${DEADLINE:-330}
BUNDLE=${BUNDLE:-$ROOT/gpu-bundle}
FALLBACK=${FALLBACK:-$ROOT/build-gpu-fallback}
mkdir -p "$OUT"
export CLICKAGG_SOURCE_DIR="$ROOT" CLICKAGG_REQUIRE_GPU=1
start=$SECONDS

SUMMARY=()
left() { echo $((DEADLINE - (SECONDS - start))); }
# step NAME LIMIT COMMAND...: the command with its output in $OUT/NAME.log, stopped at LIMIT
# seconds or at the deadline, whichever comes first.
step() {
  local name=$1 limit=$2
  shift 2
  local budget
  budget=$(left)
  ((budget < limit)) && limit=$budget
  if ((limit <= 5)); then
    SUMMARY+=("$(printf '%-22s %-22s %5s  %s' "$name" "NOT RUN (deadline)" - "")")
    return 1
  fi
  local t0=$SECONDS status
  echo "== $name (up to ${limit}s): $*"
  if timeout "$limit" "$@" >"$OUT/$name.log" 2>&1; then status=ok; else status="FAILED (exit $?)"; fi
  SUMMARY+=("$(printf '%-22s %-22s %5ss  %s' "$name" "$status" $((SECONDS - t0)) "$(counts "$name")")")
  tail -n 4 "$OUT/$name.log"
  [[ $status == ok ]]
}
# Tests passed / failed / skipped from a GoogleTest XML report.
counts() {
  local xml=$OUT/$1.xml
  [[ -s $xml ]] || return 0
  python3 - "$xml" <<'PY' 2>/dev/null
import sys, xml.etree.ElementTree as ET
cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
failed = sum(1 for c in cases if c.find("failure") is not None)
skipped = sum(1 for c in cases if c.get("result") == "skipped" or c.find("skipped") is not None)
print(f"{len(cases)} tests: {len(cases) - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY
}

# --- 1. the machine ------------------------------------------------------------------------
{
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader 2>&1
  else
    echo "no nvidia-smi"
  fi
  (nvcc --version 2>/dev/null | tail -n 2) || echo "no nvcc"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null || true
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"
SANITIZER=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
# --- 2. the binaries -----------------------------------------------------------------------
BIN=$BUNDLE
if ! "$BUNDLE/test_gpu" --gtest_list_tests >"$OUT/bundle_start.log" 2>&1; then
  echo "bundle does not start here (see bundle_start.log): engine-only build of the GPU targets"
  BIN=$FALLBACK/bin
  step fallback_build 200 bash -c "
    cmake -S '$ROOT' -B '$FALLBACK' -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLICKAGG_ENGINE_ONLY=ON \
      -DCLICKAGG_CUDA=ON -DCLICKAGG_GTEST_SOURCE='$BUNDLE/googletest' &&
    cmake --build '$FALLBACK' -j\$(nproc) --target test_gpu test_engine test_property gpu_perf &&
    mkdir -p '$BIN' && cp '$FALLBACK/tests/gpu/test_gpu' '$FALLBACK/tests/test_engine' \
      '$FALLBACK/tests/test_property' '$FALLBACK/bench/gpu_perf' '$BIN/'"
fi
echo "binaries: $BIN"
# Whether it can attach to a process on this device at all (refused on gVisor machines).
if [[ -x $SANITIZER ]]; then
  if timeout 60 "$SANITIZER" --tool memcheck --error-exitcode 1 "$BIN/test_gpu" \
       --gtest_filter='DeviceBlocks.TopNOfNothingIsEmpty' >"$OUT/sanitizer_attach.log" 2>&1; then
    echo "compute-sanitizer: attaches" | tee -a "$OUT/machine.txt"
  else
    echo "compute-sanitizer: cannot attach here (see sanitizer_attach.log)" | tee -a "$OUT/machine.txt"
  fi
else
  echo "compute-sanitizer: not installed" | tee -a "$OUT/machine.txt"
fi


# --- 3. every GPU test, in three processes ---------------------------------------------------
gtest() {  # gtest NAME BINARY FILTER
  step "$1" 150 "$BIN/$2" --gtest_filter="$3" --gtest_output="xml:$OUT/$1.xml" --gtest_brief=1
}
gtest test_gpu test_gpu '*'
gtest cases_on_gpu test_engine 'Files/Cases.*gpu*'
gtest gpu_vs_reference test_property 'GpuEngineVsReference.*'

# --- 4. compute-sanitizer on a small set -----------------------------------------------------
SMALL='DeviceBlocks.*:GpuVsCpu.InBatchDuplicatesCountTheFirstCopy:GpuSnapshot.RestoreAfterABatchFailedBetweenChunks'
if [[ -x $SANITIZER ]]; then
  # racecheck sees only shared memory, which these kernels do not use; memcheck and initcheck
  # see device memory.
  step memcheck 90 "$SANITIZER" --tool memcheck --error-exitcode 1 "$BIN/test_gpu" --gtest_filter="$SMALL"
  step initcheck 90 "$SANITIZER" --tool initcheck --error-exitcode 1 "$BIN/test_gpu" --gtest_filter="$SMALL"
else
  SUMMARY+=("$(printf '%-22s %-22s' sanitizers "not installed")")
fi

# --- 5. the table ----------------------------------------------------------------------------
echo
echo "================ clickagg GPU check ($((SECONDS - start)) s) ================"
head -n 1 "$OUT/machine.txt"
printf '%s\n' "${SUMMARY[@]}"
failed=$(printf '%s\n' "${SUMMARY[@]}" | grep -c -E "FAILED|NOT RUN" || true)
echo "result: $([[ $failed == 0 ]] && echo PASSED || echo "FAILED ($failed steps)")"
[[ $failed == 0 ]]
