#!/usr/bin/env python3
"""Batch end-to-end benchmark: `clickagg aggregate` over generated files, decode to results.

The workload of bench/engine_bench.cpp as files (generated once, cached in --data): N records
from `clickagg gen` (2 M ads, Zipf 1.1, 5 % out of order, 2 % duplicates, 10,000 events per
second of event time), the same four filters, dedup on. Each run is a fresh process from its
start to its exit, output files written; events/s = records / wall seconds, and the process's
peak resident memory from the kernel (ru_maxrss). Medians of --repeat runs, run alternately
when several executables are given (an older build beside this one: same run, same machine).

  bench/aggregate_bench.py --build build [--events 10000000] [--repeat 3] [--threads 1]
      [--formats binary,log] [--topn-windows 1,5,60] [--allowed-lateness 10m] [--engines cpu,gpu-portable]
      [--exe OTHER/clickagg ...] [--out results.json]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FILTERS = """filters:
  - id: 12
    name: us
    country: US
  - id: 14
    country: [GB, DE]
  - id: 20
    ip: [10.0.0.0/8, 2001:db8::/32]
  - id: 30
    user_id: [user 1, user 7, user 42]
"""


def run_once(exe, engine, path, fmt, args, out_dir):
    argv = [exe, "aggregate", "--input", path, "--format", fmt, "--out", out_dir,
            "--filters", args.filters_file, "--topn-windows", args.topn_windows,
            "--threads", str(args.threads), "--engine", engine, "--allowed-lateness", args.allowed_lateness]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if status != 0:
        sys.exit(f"{' '.join(argv)} failed ({status}): {err.strip()}")
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024.0, "events": summary["events_total"],
            "counted": summary["counted"], "windows": summary["windows_closed"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--exe", action="append", default=[], help="other clickagg executables to compare")
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--formats", default="binary,log")
    ap.add_argument("--topn-windows", default="1,5,60")
    ap.add_argument("--engines", default="cpu",
                    help="engines of this build to run, comma-separated (cpu, gpu, gpu-portable); --exe ones run cpu")
    ap.add_argument("--allowed-lateness", default="10m",
                    help="how long closed minutes are kept; two runs with different values give the "
                         "memory per retained minute as the slope of peak RSS")
    ap.add_argument("--data", help="cache folder for the generated inputs (default BUILD/bench-data)")
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()

    this = os.path.abspath(os.path.join(args.build, "host", "cli", "clickagg"))
    # (executable, engine) pairs, run alternately within each repetition.
    runs_of = [(this, eng) for eng in args.engines.split(",")] + [(os.path.abspath(e), "cpu") for e in args.exe]
    data = os.path.abspath(args.data or os.path.join(args.build, "bench-data"))
    os.makedirs(data, exist_ok=True)
    args.filters_file = os.path.join(data, "filters4.yaml")
    with open(args.filters_file, "w") as f:
        f.write(FILTERS)

    results = []
    scratch = tempfile.mkdtemp(prefix="aggregate_bench.")
    try:
        for fmt in args.formats.split(","):
            path = os.path.join(data, f"clicks-{args.events}.{fmt}")
            if not os.path.exists(path):
                subprocess.run([this, "gen", "--count", str(args.events), "--out-of-order", "0.05",
                                "--duplicates", "0.02", "--format", fmt, "--out", path + ".tmp"], check=True)
                os.rename(path + ".tmp", path)
            runs = {k: [] for k in runs_of}
            for _ in range(args.repeat):
                for exe, eng in runs_of:
                    out_dir = os.path.join(scratch, "out")
                    shutil.rmtree(out_dir, ignore_errors=True)
                    runs[(exe, eng)].append(run_once(exe, eng, path, fmt, args, out_dir))
            for (e, eng) in runs_of:
                r = runs[(e, eng)]
                wall = statistics.median(x["wall_s"] for x in r)
                row = {"exe": e, "format": fmt, "events": r[0]["events"], "counted": r[0]["counted"],
                       "threads": args.threads, "engine": eng, "topn_windows": args.topn_windows,
                       "allowed_lateness": args.allowed_lateness,
                       "median_wall_s": wall, "events_per_s": r[0]["events"] / wall,
                       "median_cpu_s": statistics.median(x["cpu_s"] for x in r),
                       "median_peak_rss_mib": statistics.median(x["peak_rss_mib"] for x in r),
                       "windows": r[0]["windows"], "bytes": os.path.getsize(path), "runs": r}
                results.append(row)
                print(f"{fmt:7} {e} --engine {eng}: {row['events_per_s'] / 1e6:.2f} M events/s (median of {len(r)}: "
                      f"{wall:.2f} s wall, {row['median_cpu_s']:.2f} s CPU), peak RSS "
                      f"{row['median_peak_rss_mib']:.0f} MiB, counted {row['counted']}", flush=True)
            counted = {row["counted"] for row in results if row["format"] == fmt}
            if len(counted) != 1:
                sys.exit(f"the runs disagree on the counted events for {fmt}: {sorted(counted)}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
