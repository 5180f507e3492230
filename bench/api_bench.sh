#!/usr/bin/env bash
# The query API under load: builds clickagg and fill_store, fills a SQLite store with a day of
# counts and top-N lists (cached: the same parameters reuse the file), starts `clickagg serve`
# over it and drives it with wrk at a paced rate through bench/api_load.lua, printing the
# latency percentiles and the rate achieved.
#
# Settings (environment): BUILD_DIR (build-bench), ADS (2000000), PER_MINUTE (20000 distinct
# ads with clicks per minute), MINUTES (1440), CONNECTIONS (10, split evenly over THREADS),
# DELAY_MS (9: each connection waits this long after an answer before its next request, so
# 10 connections at ~0.6 ms a request offer ~1000 requests/s), DURATION (60s),
# THREADS (2), DB (the cached store; default under BUILD_DIR/api-bench), NO_BUILD (set: use
# the binaries already in BUILD_DIR), HOSTILE (0: that many slow and idle connections held
# open beside the load by bench/hostile_clients.py, half of each).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-bench}
ADS=${ADS:-2000000}
PER_MINUTE=${PER_MINUTE:-20000}
MINUTES=${MINUTES:-1440}
START=202101010000
CONNECTIONS=${CONNECTIONS:-10}
DELAY_MS=${DELAY_MS:-9}
DURATION=${DURATION:-60s}
THREADS=${THREADS:-2}
DB=${DB:-$BUILD_DIR/api-bench/day-$ADS-$PER_MINUTE-$MINUTES.db}

command -v wrk >/dev/null || { echo "api_bench: wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }
if [[ -z ${NO_BUILD:-} ]]; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLICKAGG_WERROR=ON \
    -DCLICKAGG_BENCH=ON >/dev/null
  cmake --build "$BUILD_DIR" --target clickagg fill_store
fi
CLICKAGG=$BUILD_DIR/host/cli/clickagg

# The fill takes minutes: done once per parameter set, marked complete only at its end.
mkdir -p "$(dirname "$DB")"
if [[ ! -f $DB.done ]]; then
  rm -f "$DB" "$DB-wal" "$DB-shm"
  "$BUILD_DIR/bench/fill_store" --db "$DB" --ads "$ADS" --per-minute "$PER_MINUTE" --minutes "$MINUTES" \
    --start "$START" --top 100 --windows 1,5,60 | tee "$DB.done.tmp"
  mv "$DB.done.tmp" "$DB.done"
fi
echo "api_bench: store $DB, $(du -h "$DB" | cut -f1): $(cat "$DB.done")"

work=$(mktemp -d)
serve_pid=
hostile_pid=
trap '[[ -n $hostile_pid ]] && kill "$hostile_pid" 2>/dev/null; [[ -n $serve_pid ]] && kill "$serve_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$CLICKAGG" serve --db "$DB" --listen 127.0.0.1:0 --port-file "$work/port" 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 1 200); do [[ -f $work/port ]] && break; sleep 0.05; done
[[ -f $work/port ]] || { cat "$work/serve.log" >&2; exit 1; }
url=http://127.0.0.1:$(cat "$work/port")

# The 100 hottest ads of the last hour (a stored list), for the requests that ask for hot ads.
curl -fsS "$url/v1/ads/popular_ads?count=100&window=60" -o "$work/top.json"
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["ad_ids"]))' "$work/top.json" \
  >"$work/hot.txt"
echo "api_bench: $(wc -l <"$work/hot.txt") hot ads"

if ((${HOSTILE:-0} > 0)); then
  python3 bench/hostile_clients.py 127.0.0.1 "$(cat "$work/port")" "$HOSTILE" &
  hostile_pid=$!
  sleep 3
fi
echo "api_bench: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $DELAY_MS ms between requests per connection"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s --latency -s bench/api_load.lua "$url" -- \
  "$START" "$MINUTES" "$ADS" "$DELAY_MS" "$work/hot.txt"
if [[ -n $hostile_pid ]]; then
  kill "$hostile_pid"
  wait "$hostile_pid" || true
  hostile_pid=
fi

# Windows without a stored list are summed from the counts: timed once each, outside the mix.
for window in 15 1440; do
  t=$(curl -fsS -o /dev/null -w '%{time_total}' --max-time 600 "$url/v1/ads/popular_ads?count=100&window=$window")
  echo "api_bench: popular_ads window=$window (no stored list, summed from the counts): ${t}s"
done
