#!/usr/bin/env python3
"""CURVE on the channel to the sink, with real processes and the real broker.

A sink that admits one aggregator's key runs; an aggregator with a key of its own that the
sink does not know, and one without CURVE, each read the whole topic and must end with an
error (the sink never acknowledges them) while nothing is written. Then the admitted
aggregator runs and the database must equal `clickagg aggregate` over the same records. A
sink or PUB socket bound beyond this host without keys is refused unless --insecure.
"""
import argparse
import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import logger  # noqa: E402

log = logger("curve-test")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--brokers", default=os.environ.get("CLICKAGG_KAFKA_BROKERS", "127.0.0.1:19092"))
    a = ap.parse_args()
    exe = os.path.abspath(a.clickagg)
    work = tempfile.mkdtemp(prefix="clickagg-curve-")
    topic = f"curve-{os.getpid()}"
    port = a.brokers.rsplit(":", 1)[1]
    topic_sh = os.path.join(a.source_dir, "scripts", "kafka", "topic.sh")
    subprocess.run([topic_sh, "create", topic, "--partitions", "2", "--port", port], check=True)
    gen = [exe, "gen", "--seed", "9", "--count", "2000", "--format", "log", "--ads", "40", "--events-per-second", "20"]
    records = os.path.join(work, "records.log")
    subprocess.run(gen + ["--out", records], check=True)
    subprocess.run(gen + ["--kafka", a.brokers, "--topic", topic], check=True)
    keys = {}
    for name in ("sink", "agg", "stranger"):
        base = os.path.join(work, name)
        keys[name] = subprocess.run([exe, "keygen", "--out", base], check=True, capture_output=True,
                                    text=True).stdout.strip()
    ok = True
    if oct(os.stat(os.path.join(work, "sink.key")).st_mode & 0o777) != "0o600":
        log("keygen left the secret key readable by others")
        ok = False

    free = 21000 + (os.getpid() + 7000) % 11000
    sink_ep = f"tcp://127.0.0.1:{free}"
    db = os.path.join(work, "clicks.db")
    k = lambda n, ext: os.path.join(work, f"{n}.{ext}")  # noqa: E731

    # Beyond this host without keys: refused as bad usage.
    for argv in ([exe, "sink", "--listen", f"tcp://0.0.0.0:{free + 1}", "--db", os.path.join(work, "x.db")],
                 [exe, "aggregator", "--topic", topic, "--pub", f"tcp://0.0.0.0:{free + 2}"]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if p.returncode != 2 or "without CURVE" not in p.stderr:
            log(f"{argv[1]} on 0.0.0.0 without keys: exit {p.returncode}: {p.stderr.strip()[-200:]}")
            ok = False

    sink = subprocess.Popen([exe, "sink", "--listen", sink_ep, "--db", db, "--curve-secret", k("sink", "key"),
                             "--curve-allow", k("agg", "pub")],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "sink.log"), "wb"))

    def aggregator(name, extra):
        argv = [exe, "aggregator", "--brokers", a.brokers, "--topic", topic, "--group", f"{topic}-{name}",
                "--format", "log", "--state-dir", os.path.join(work, f"state-{name}"), "--sink", sink_ep,
                "--engine", "cpu", "--member-id", name, "--finish-when-idle", "1s", "--finish-timeout", "4s"] + extra
        p = subprocess.run(argv, capture_output=True, text=True, timeout=180)
        with open(os.path.join(work, f"{name}.log"), "w") as f:
            f.write(p.stderr)
        return p

    def stored_rows():
        conn = sqlite3.connect(db)
        return conn.execute("SELECT count(*) FROM counts").fetchone()[0]

    try:
        time.sleep(1)
        for name, extra in (("stranger", ["--curve-secret", k("stranger", "key"), "--sink-public", k("sink", "pub")]),
                            ("plain", [])):
            p = aggregator(name, extra)
            log(f"{name}: exit {p.returncode}")
            if p.returncode != 1 or "refused the handshake" not in p.stderr and name == "stranger":
                log(f"{name} was not refused: {p.stderr.strip()[-300:]}")
                ok = False
            if stored_rows() != 0:
                log(f"{name}: rows written by a peer the sink does not admit")
                ok = False
        p = aggregator("agg", ["--curve-secret", k("agg", "key"), "--sink-public", k("sink", "pub")])
        log(f"admitted aggregator: exit {p.returncode}")
        if p.returncode != 0:
            print(p.stderr[-2000:])
            ok = False
    finally:
        sink.terminate()
        sink.wait(30)
    with open(os.path.join(work, "sink.log"), errors="replace") as f:
        sink_log = f.read()
    if keys["stranger"] not in sink_log:
        log("the sink's log does not name the refused key")
        ok = False

    ref = os.path.join(work, "reference")
    subprocess.run([exe, "aggregate", "--input", records, "--format", "log", "--engine", "cpu", "--out", ref],
                   check=True, capture_output=True)
    with open(os.path.join(ref, "counts.csv")) as f:
        want = {(r["ad_id"], r["minute"], r["filter_id"]): int(r["count"]) for r in csv.DictReader(f)}
    conn = sqlite3.connect(db)
    got = {(ad, time.strftime("%Y%m%d%H%M", time.gmtime(m * 60)), str(fid)): c
           for ad, m, fid, c in conn.execute("SELECT ad_id, minute, filter_id, count FROM counts")}
    if got != want:
        log(f"counts differ: {len(want)} expected, {len(got)} stored")
        ok = False
    else:
        log(f"counts: {len(want)} rows identical to the batch run, all from the admitted aggregator")
    subprocess.run([topic_sh, "delete", topic, "--port", port], capture_output=True)
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if ok else f"0 passed, 1 failed (work dir {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
