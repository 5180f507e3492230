#!/usr/bin/env python3
"""Python's overhead per batch: clickagg.Engine.process() from Python (results as NumPy
structured arrays) against the same engine over the same batches driven from C++ with no
Python between calls (clickagg._native._engine_seconds). Decoding is done once, outside both.

    PYTHONPATH=build/bindings /usr/bin/python3 bench/python_overhead.py [--events 5000000]
"""
import argparse
import statistics
import time

import clickagg
from clickagg import _native


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--batch", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--kind", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    # The project's benchmark workload: Zipf 1.1 over 2 M ads, duplicates and disorder.
    data = clickagg.generate(count=a.events, seed=42, ads=2_000_000, zipf=1.1, events_per_second=100_000,
                             out_of_order=0.01, late=0.002, duplicates=0.01)
    lines = data.splitlines(keepends=True)
    batches = [clickagg.decode(b"".join(lines[i:i + a.batch]), max_future=None).batch
               for i in range(0, len(lines), a.batch)]
    windows = (1, 5, 60)
    def from_python():
        engine = clickagg.Engine(kind=a.kind, top=100, topn_windows=windows, threads=a.threads)
        times = []
        for b in batches:
            t0 = time.perf_counter()
            engine.process(0, b)
            times.append(time.perf_counter() - t0)
        return times

    def from_cpp():
        return _native._engine_seconds(batches, a.kind, 100, list(windows), a.threads)

    from_python(), from_cpp()  # warm-up: the allocator's arenas, the page cache
    py, cpp = [], []
    for rep in range(a.reps):
        # Each run from a fresh engine over the same batches; the order alternates so that
        # neither side always follows the other.
        first, second = (from_cpp, from_python) if rep % 2 == 0 else (from_python, from_cpp)
        r1, r2 = first(), second()
        (cpp if first is from_cpp else py).append(r1)
        (py if second is from_python else cpp).append(r2)
    per_batch_py = [statistics.median(r[i] for r in py) for i in range(len(batches))]
    per_batch_cpp = [statistics.median(r[i] for r in cpp) for i in range(len(batches))]
    total_py, total_cpp = sum(per_batch_py), sum(per_batch_cpp)
    print(f"{len(batches)} batches of {a.batch:,} events, engine {a.kind}, median of {a.reps} runs")
    print("batch  C++ s    Python s  overhead")
    for i, (p, c) in enumerate(zip(per_batch_py, per_batch_cpp)):
        print(f"{i:5d}  {c:7.4f}  {p:8.4f}  {100 * (p - c) / c:+6.1f}%")
    print(f"total  {total_cpp:7.4f}  {total_py:8.4f}  {100 * (total_py - total_cpp) / total_cpp:+6.1f}%  "
          f"({a.events / total_cpp / 1e6:.2f} M events/s from C++, {a.events / total_py / 1e6:.2f} from Python)")


if __name__ == "__main__":
    main()
