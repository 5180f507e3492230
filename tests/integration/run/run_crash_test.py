#!/usr/bin/env python3
"""The all-in-one job through SIGKILLs: `clickagg run` over a bounded generated stream is
killed with SIGKILL at random moments and started again each time, then left to finish; the
database must hold exactly what `clickagg aggregate` computes from the same records (the
generator makes them again from the same settings): counts, top-N lists and counters,
nothing lost and nothing counted twice.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import Proc, diagnose, equals_batch_run, logger, verdict  # noqa: E402

log = logger("run-crash")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--records", type=int, default=200000)  # 40 s at the rate below: time for the kills
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CLICKAGG_TEST_SEED", "29")))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    exe = os.path.abspath(a.clickagg)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="clickagg-run-crash-")
    log(f"work dir {work}, seed {a.seed}")
    filters = os.path.join(work, "filters.yaml")
    with open(filters, "w") as f:
        f.write("filters:\n  - id: 12\n    country: US\n  - id: 14\n    country: [GB, DE]\n"
                "  - id: 20\n    ip: [10.0.0.0/8, 2001:db8::/32, 100.0.0.0/6]\n")
    stream = ["--seed", str(a.seed), "--count", str(a.records), "--start", "2021-01-01T00:00:00Z",
              "--events-per-second", "2000", "--ads", "500", "--users", "5000", "--zipf", "1.1",
              "--out-of-order", "0.05", "--late", "0.01", "--very-late", "0.002", "--duplicates", "0.03",
              "--malformed", "0.005", "--format", "log"]
    engine = ["--filters", filters, "--topn-windows", "1,5", "--top", "20", "--engine", "cpu"]
    db = os.path.join(work, "clicks.db")
    run = Proc("run", [exe, "run", "--db", db, "--listen", "127.0.0.1:0", "--rate", "5000",
                       "--batch-interval", "100ms", "--checkpoint-interval", "400ms", "--progress-interval", "1s"]
               + stream + engine, work)

    kills = 0
    while kills < a.kills:
        run.start()
        time.sleep(rng.uniform(0.3, 1.5))
        if not run.alive():
            break  # finished (or failed) before this kill
        run.kill9()
        kills += 1
        log(f"kill -9 run (#{kills})")
    if not run.alive():
        run.start()
    try:
        rc = run.wait(300)
    except subprocess.TimeoutExpired:
        log("run did not finish within 300 s")
        diagnose([run])
        run.kill9()
        return 1
    if rc != 0:
        log(f"run exited with {rc}")
        diagnose([run])
        return 1

    records = os.path.join(work, "records.log")
    subprocess.run([exe, "gen", "--out", records] + stream, check=True)
    ok = equals_batch_run(exe, records, os.path.join(work, "reference"), db, engine)
    if kills < a.kills:
        log(f"only {kills} kills happened before the run ended (wanted {a.kills})")
        ok = False
    return verdict(ok, work, a.keep)


if __name__ == "__main__":
    sys.exit(main())
