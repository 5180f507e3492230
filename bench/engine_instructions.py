#!/usr/bin/env python3
"""Instructions per event in each stage of the CPU engine, counted by callgrind.

Wall-clock rates on a shared virtual machine move by 20-35 % between hours; instruction counts
do not. This runs one case of bench/engine_bench under `valgrind --tool=callgrind` (its untimed
first run and its timed runs: every run feeds the same events through a new engine) and divides
each stage's inclusive instruction count by the events fed:

  bench/engine_instructions.py --build build [--case 11/1/1/0] [--out cg.out]

--case is BM_CpuEngine's arguments: Zipf x10, threads, windows (0: {1}, 1: {1, 5, 60}), and 0
(a new engine; a warm one feeds other events first, which this count would include). With more
than one thread the stages are still counted whole, but the engine's total is their sum rather
than the driver's inclusive count (callgrind keeps each thread's stack apart).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

# Stage -> the function whose inclusive count it is (callgrind_annotate's names).
STAGES = [
    ("judge", "clickagg::HostJudge::judge("),
    ("classify", "clickagg::CpuBackend::classify(clickagg::EventColumns const&, clickagg::BatchJudgement const&)"),
    ("partition", "clickagg::CpuBackend::partition("),
    ("dedup", "clickagg::CpuBackend::dedup("),
    ("intern and count", "clickagg::CpuBackend::count_events("),
    ("dictionary commit", "clickagg::AdDictionary::commit("),
    ("top-N", "clickagg::CpuBackend::topn("),
    ("window rows", "clickagg::CpuBackend::window_rows("),
    ("rows' order", "clickagg::sort_rows("),
]
DRIVER = ["clickagg::EngineDriver::process(", "clickagg::EngineDriver::finish("]


def inclusive_counts(cg_out):
    """Function name -> inclusive instructions. An inlined function's code is listed once per
    source file it came from; the function's own entry is the largest of them."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", cg_out],
                          check=True, capture_output=True, text=True).stdout
    counts = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+\S+?:(clickagg::.*?)(?: \[.*\])?$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2)
        counts[name] = max(counts.get(name, 0), n)
    return counts


def total_for(counts, prefix):
    matches = [n for name, n in counts.items() if name.startswith(prefix)]
    return max(matches) if matches else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--case", default="11/1/1/0", help="BM_CpuEngine arguments (default 11/1/1/0)")
    ap.add_argument("--out", help="keep callgrind's output here")
    a = ap.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        sys.exit("needs valgrind (apt-get install valgrind)")
    if not re.fullmatch(r"\d+/\d+/[01]/0", a.case):
        sys.exit("--case: zipf x10 / threads / windows 0|1 / 0 (a new engine)")
    bench = os.path.join(a.build, "bench", "engine_bench")
    tmp = tempfile.mkdtemp(prefix="clickagg-callgrind-")
    cg_out = a.out or os.path.join(tmp, "callgrind.out")
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={cg_out}", bench,
                          f"--benchmark_filter=^BM_CpuEngine/{a.case}/", "--benchmark_min_time=0.01"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(run.stdout + run.stderr)
    m = re.search(r"iterations:(\d+).*?\bevents=([\d.]+)([kM]?)", run.stdout)
    if not m:
        sys.exit("no result line for BM_CpuEngine/" + a.case + " in:\n" + run.stdout)
    scale = {"": 1, "k": 1e3, "M": 1e6}[m.group(3)]
    per_run = round(float(m.group(2)) * scale)
    runs = int(m.group(1)) + 1  # the untimed first run feeds the same events
    events = runs * per_run
    counts = inclusive_counts(cg_out)
    print(f"BM_CpuEngine/{a.case}: {runs} runs of {per_run:,} events, instructions per event")
    stage_sum = 0.0
    for stage, fn in STAGES:
        n = total_for(counts, fn)
        if n == 0:
            continue
        stage_sum += n / events
        print(f"  {stage:<20} {n / events:8.1f}")
    driver = sum(total_for(counts, fn) for fn in DRIVER) / events
    threads = int(a.case.split("/")[1])
    print(f"  {'engine':<20} {driver if threads == 1 else stage_sum:8.1f}"
          + ("" if threads == 1 else "  (sum of the stages)"))
    if not a.out:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
