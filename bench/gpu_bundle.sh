#!/usr/bin/env bash
# Builds the GPU test and benchmark binaries here (Release, sm_90, engine-only) into a bundle
# that starts on a GPU machine from its own folder: the C++ and CUDA runtimes linked in, every
# other shared library they need copied beside them (RPATH $ORIGIN), plus GoogleTest's sources
# for the fallback build there (bench/gpu_check.sh). The test inputs (tests/cases) travel with
# the working tree. Then shows that each binary starts from the bundle alone: ldd finds every
# library, and the binary runs to its "no usable CUDA device" point on this machine.
# Usage: bench/gpu_bundle.sh   (BUILD, BUNDLE: folders; both git-ignored)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-gpu-bundle}
BUNDLE=${BUNDLE:-$ROOT/gpu-bundle}
BINARIES=(tests/gpu/test_gpu tests/test_engine tests/test_property bench/gpu_perf)

export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=true
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCLICKAGG_ENGINE_ONLY=ON -DCLICKAGG_CUDA=ON \
  -DCLICKAGG_BUNDLE=ON -DCLICKAGG_WERROR=ON >/dev/null
targets=()
for b in "${BINARIES[@]}"; do targets+=("$(basename "$b")"); done
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}"

rm -rf "$BUNDLE"
mkdir -p "$BUNDLE"
for b in "${BINARIES[@]}"; do
  cp "$BUILD/$b" "$BUNDLE/"
  strip --strip-unneeded "$BUNDLE/$(basename "$b")"
done
# Libraries: all but the ones every Linux with a CUDA driver has (glibc's, the dynamic loader,
# the CUDA driver itself).
system='^(linux-vdso|ld-linux|libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+|libcuda)\.so'
for b in "$BUNDLE"/*; do
  ldd "$b" | awk '/=> \// { print $1, $3 }' | while read -r name path; do
    [[ $name =~ $system || -e $BUNDLE/$name ]] || cp -L "$path" "$BUNDLE/$name"
  done
done
cp -r /usr/src/googletest "$BUNDLE/googletest"
cp "$ROOT/bench/gpu_peer.py" "$BUNDLE/"

# Each binary from the bundle alone: no library from outside it beyond the system's, and the
# binary runs to the point where it needs a device.
status=0
for b in "${BINARIES[@]}"; do
  exe="$BUNDLE/$(basename "$b")"
  missing=$(LD_LIBRARY_PATH= ldd "$exe" | grep -c "not found" || true)
  outside=$(LD_LIBRARY_PATH= ldd "$exe" | awk '/=> \// { print $1, $3 }' |
              grep -Ev "$system" | grep -vc "$BUNDLE/" || true)
  case $(basename "$b") in
    gpu_perf) (cd /tmp && LD_LIBRARY_PATH= "$exe" --events 1000 >/tmp/gpu_bundle_run.txt 2>&1) || true ;;
    *) (cd /tmp && LD_LIBRARY_PATH= CLICKAGG_SOURCE_DIR="$ROOT" "$exe" --gtest_filter='*Gpu*:*gpu*:DeviceBlocks.*' \
          --gtest_brief=1 >/tmp/gpu_bundle_run.txt 2>&1) || true ;;
  esac
  reached=$(grep -m1 -Eo "no usable CUDA device[^,)]*|no CUDA device[^,)]*" /tmp/gpu_bundle_run.txt || true)
  printf '%-14s %6s KiB  libraries missing: %s, from outside the bundle: %s  run: %s\n' "$(basename "$b")" \
    "$(du -k "$exe" | cut -f1)" "$missing" "$outside" "${reached:-DID NOT REACH ITS DEVICE CHECK}"
  [[ $missing == 0 && $outside == 0 && -n $reached ]] || status=1
done
echo "bundle: $(du -sh "$BUNDLE" | cut -f1) in $BUNDLE ($(ls "$BUNDLE" | wc -l) entries)"
exit $status
