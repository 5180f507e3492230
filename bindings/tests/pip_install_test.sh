#!/usr/bin/env bash
# `pip install ./bindings` on this machine, with no network: into a scratch virtual environment
# (Debian's interpreter, its numpy), then the installed package imported from outside the source
# tree and run once.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${CLICKAGG_PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m venv --system-site-packages "$work/venv"
# A copy of the sources: the build leaves nothing in the checkout.
cp -r "$root/bindings" "$work/bindings"
for entry in "$root"/*; do
  [[ $(basename "$entry") == bindings ]] || ln -s "$entry" "$work/"
done
CLICKAGG_CMAKE_ARGS="${CLICKAGG_CMAKE_ARGS:--DCLICKAGG_CUDA=OFF}" \
  "$work/venv/bin/pip" install --no-build-isolation --no-index --quiet "$work/bindings"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import clickagg
assert "site-packages" in clickagg.__file__, clickagg.__file__
data = clickagg.generate(count=5000, seed=3, ads=20)
engine = clickagg.Engine(kind="cpu", top=5)
results = engine.process(0, clickagg.decode(data, max_future=None).batch)
results += engine.finish()
assert engine.stats["counted"] == 5000 and len(results.topn) > 0, engine.stats
print("installed clickagg works:", clickagg.__file__)
PY
