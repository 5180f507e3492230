#!/usr/bin/env python3
"""The end of a bounded run when the sink never answers, with real processes and the real broker.

An aggregator with --finish-when-idle reads a topic to its end while no sink listens: it must
exit 1 within --finish-timeout, naming the partitions whose results wait, instead of waiting
forever. Then a sink starts and the aggregator starts again on the same state directory: the
batch logs carry what the sink never acknowledged, and the database must equal
`clickagg aggregate` over the same records.

The topic starts with a record dated 9999-12-31: the aggregator must reject it (--max-future)
rather than let it move its partition's watermark past every later click.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import batch_counts, kafka_args, logger, sqlite_counts, topic  # noqa: E402

log = logger("finish-test")


def main():
    a = kafka_args(__doc__)
    exe = a.clickagg
    work = tempfile.mkdtemp(prefix="clickagg-finish-")
    name = f"finish-{os.getpid()}"
    topic(a, "create", name)
    gen = [exe, "gen", "--seed", "5", "--count", "3000", "--format", "log", "--ads", "50",
           "--events-per-second", "20"]
    records = os.path.join(work, "records.log")
    future = "[AdClickEvent] adFUTURE, 9999-12-31 23:59:59, user 1, 1.2.3.4, US\n"
    subprocess.run(gen + ["--out", records], check=True)
    with open(records) as f:
        generated = f.read()
    with open(records, "w") as f:
        f.write(future + generated)
    from confluent_kafka import Producer
    for part in range(2):  # ahead of the clicks of both partitions
        producer = Producer({"bootstrap.servers": a.brokers})
        producer.produce(name, future.rstrip("\n").encode(), partition=part)
        producer.flush(30)
    subprocess.run(gen + ["--kafka", a.brokers, "--topic", name], check=True)

    sink_ep = f"tcp://127.0.0.1:{21000 + (os.getpid() + 5000) % 11000}"
    agg = [exe, "aggregator", "--brokers", a.brokers, "--topic", name, "--group", name, "--format", "log",
           "--state-dir", os.path.join(work, "state"), "--sink", sink_ep, "--engine", "cpu",
           "--finish-when-idle", "1s", "--finish-timeout", "3s", "--checkpoint-interval", "500ms"]
    ok = True

    # No sink: the run must end, with an error that says what waits.
    t0 = time.time()
    p = subprocess.run(agg, capture_output=True, text=True, timeout=120)
    took = time.time() - t0
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    log(f"without a sink: exit {p.returncode} after {took:.1f} s: {last}")
    if p.returncode != 1 or "has not acknowledged" not in p.stderr or "partition" not in last:
        log("expected exit 1 with the partitions whose results the sink lacks")
        ok = False

    # With a sink, a second start delivers everything from the batch logs.
    db = os.path.join(work, "clicks.db")
    sink = subprocess.Popen([exe, "sink", "--listen", sink_ep, "--db", db], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "sink.log"), "wb"))
    try:
        p = subprocess.run(agg, capture_output=True, text=True, timeout=120)
        log(f"with a sink: exit {p.returncode}")
        if p.returncode != 0:
            print(p.stderr[-3000:])
            ok = False
    finally:
        sink.terminate()
        sink.wait(30)

    want, summary = batch_counts(exe, records, os.path.join(work, "reference"))
    got = sqlite_counts(db)
    if got != want:
        log(f"counts differ: {len(want)} expected rows, {len(got)} stored, "
            f"{sum(1 for k in want if got.get(k) != want[k])} different")
        ok = False
    else:
        log(f"counts: {len(want)} rows identical to the batch run")
    want_rejected = summary["rejected"] + 1  # the topic holds the future record twice
    stored = dict(sqlite3.connect(db).execute("SELECT key, value FROM meta"))
    if int(stored.get("rejected", -1)) != want_rejected:
        log(f"rejected: {stored.get('rejected')} stored, {want_rejected} expected")
        ok = False
    topic(a, "delete", name)
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if ok else f"0 passed, 1 failed (work dir {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
