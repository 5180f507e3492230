#!/usr/bin/env bash
# The second run on a GPU machine, right after bench/gpu_check.sh on the same (warm) machine, in under
# four minutes: bench/gpu_perf (copy bounds, the device pipeline on device-resident input and
# with copy-in, the whole GPU engine, the CPU engine on every core) and the PyTorch or CuPy
# sort/unique group-by peer over the same events; tables printed last, files under $OUT.
# Usage: bench/gpu_perf.sh   (OUT: results folder; EVENTS: batch size, 4194304)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$ROOT/build-gpu-check/out}
EVENTS=${EVENTS:-4194304}
BUNDLE=${BUNDLE:-$ROOT/gpu-bundle}
FALLBACK=${FALLBACK:-$ROOT/build-gpu-fallback}
mkdir -p "$OUT"
BIN=$BUNDLE
"$BIN/gpu_perf" --help >/dev/null 2>&1
[[ $? == 127 || ! -x $BIN/gpu_perf ]] && BIN=$FALLBACK/bin  # built by gpu_check.sh's fallback

timeout 200 "$BIN/gpu_perf" --events "$EVENTS" --reps 5 --out "$OUT" 2>&1 | tee "$OUT/gpu_perf.log"
perf_status=${PIPESTATUS[0]}

peer_status=skipped
if python3 -c 'import importlib.util as u, sys; sys.exit(0 if (u.find_spec("torch") or u.find_spec("cupy")) else 1)'; then
  if timeout 60 "$BIN/gpu_perf" --events "$EVENTS" --export "$OUT/events.bin" >"$OUT/export.log" 2>&1; then
    timeout 60 python3 "$ROOT/bench/gpu_peer.py" "$OUT/events.bin" auto 2>&1 | tee "$OUT/peer.log"
    peer_status=$([[ ${PIPESTATUS[0]} == 0 ]] && echo ok || echo failed)
  fi
  rm -f "$OUT/events.bin"  # 100 MB: not worth bringing back
fi
echo
echo "gpu_perf: exit $perf_status; peer: $peer_status"
echo "Check: the peer's counted equals the device rows' counted for zipf1.1 with 4 filters."
[[ $perf_status == 0 ]]
