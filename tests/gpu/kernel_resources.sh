#!/usr/bin/env bash
# Compiles the per-event kernels for the target architecture with ptxas's resource report and
# fails if any of them has a stack frame or spills registers: local memory in a kernel that
# runs once per event costs a memory round trip per access (a byte-wise hash into a staging
# buffer once gave the claim kernel a 352-byte frame). Runs without a GPU.
# Usage: kernel_resources.sh NVCC ARCH SOURCE_DIR FILE...
set -euo pipefail
nvcc=$1 arch=$2 root=$3
shift 3
status=0
for f in "$@"; do
  report=$("$nvcc" -std=c++20 -arch="sm_$arch" -I"$root" --expt-relaxed-constexpr --extended-lambda \
             --resource-usage -c "$root/$f" -o /dev/null 2>&1) || { echo "$report"; exit 1; }
  # Lines: "Function properties for NAME" then "N bytes stack frame, N bytes spill stores, ...".
  bad=$(awk '/Function properties for/ { name = $NF; next }
             /bytes stack frame/ { if ($1 != 0 || $5 != 0 || $9 != 0) print name ": " $0 }' <<<"$report")
  kernels=$(grep -c "Compiling entry function" <<<"$report" || true)
  if [[ -n $bad ]]; then
    echo "$f: local memory in a kernel:"
    echo "$bad"
    status=1
  else
    echo "$f: $kernels kernels, none with a stack frame or spills"
  fi
done
exit $status
