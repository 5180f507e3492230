#!/usr/bin/env python3
"""CURVE on the channel to the sink, with real processes and the real broker.

A sink that admits one aggregator's key runs; an aggregator with a key of its own that the
sink does not know, and one without CURVE, each read the whole topic and must end with an
error (the sink never acknowledges them) while nothing is written. Then the admitted
aggregator runs and the database must equal `clickagg aggregate` over the same records. A
sink or PUB socket bound beyond this host without keys is refused unless --insecure.
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

log = logger("curve-test")


def main():
    a = kafka_args(__doc__)
    exe = a.clickagg
    work = tempfile.mkdtemp(prefix="clickagg-curve-")
    name = f"curve-{os.getpid()}"
    topic(a, "create", name)
    gen = [exe, "gen", "--seed", "9", "--count", "2000", "--format", "log", "--ads", "40", "--events-per-second", "20"]
    records = os.path.join(work, "records.log")
    subprocess.run(gen + ["--out", records], check=True)
    subprocess.run(gen + ["--kafka", a.brokers, "--topic", name], check=True)
    keys = {}
    for who in ("sink", "agg", "stranger"):
        base = os.path.join(work, who)
        keys[who] = subprocess.run([exe, "keygen", "--out", base], check=True, capture_output=True,
                                    text=True).stdout.strip()
    ok = True
    if oct(os.stat(os.path.join(work, "sink.key")).st_mode & 0o777) != "0o600":
        log("keygen left the secret key readable by others")
        ok = False

    free = 21000 + (os.getpid() + 7000) % 11000
    sink_ep = f"tcp://127.0.0.1:{free}"
    db = os.path.join(work, "clicks.db")
    k = lambda who, ext: os.path.join(work, f"{who}.{ext}")  # noqa: E731

    # Beyond this host without keys: refused as bad usage.
    for argv in ([exe, "sink", "--listen", f"tcp://0.0.0.0:{free + 1}", "--db", os.path.join(work, "x.db")],
                 [exe, "aggregator", "--topic", name, "--pub", f"tcp://0.0.0.0:{free + 2}"]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if p.returncode != 2 or "without CURVE" not in p.stderr:
            log(f"{argv[1]} on 0.0.0.0 without keys: exit {p.returncode}: {p.stderr.strip()[-200:]}")
            ok = False

    sink = subprocess.Popen([exe, "sink", "--listen", sink_ep, "--db", db, "--curve-secret", k("sink", "key"),
                             "--curve-allow", k("agg", "pub")],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "sink.log"), "wb"))

    def aggregator(member, extra):
        argv = [exe, "aggregator", "--brokers", a.brokers, "--topic", name, "--group", f"{name}-{member}",
                "--format", "log", "--state-dir", os.path.join(work, f"state-{member}"), "--sink", sink_ep,
                "--engine", "cpu", "--member-id", member, "--finish-when-idle", "1s", "--finish-timeout", "4s"] + extra
        p = subprocess.run(argv, capture_output=True, text=True, timeout=180)
        with open(os.path.join(work, f"{member}.log"), "w") as f:
            f.write(p.stderr)
        return p

    def stored_rows():
        conn = sqlite3.connect(db)
        return conn.execute("SELECT count(*) FROM counts").fetchone()[0]

    try:
        time.sleep(1)
        for member, extra in (("stranger", ["--curve-secret", k("stranger", "key"), "--sink-public", k("sink", "pub")]),
                            ("plain", [])):
            p = aggregator(member, extra)
            log(f"{member}: exit {p.returncode}")
            if p.returncode != 1 or "refused the handshake" not in p.stderr and member == "stranger":
                log(f"{member} was not refused: {p.stderr.strip()[-300:]}")
                ok = False
            if stored_rows() != 0:
                log(f"{member}: rows written by a peer the sink does not admit")
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

    want, _ = batch_counts(exe, records, os.path.join(work, "reference"))
    got = sqlite_counts(db)
    if got != want:
        log(f"counts differ: {len(want)} expected, {len(got)} stored")
        ok = False
    else:
        log(f"counts: {len(want)} rows identical to the batch run, all from the admitted aggregator")
    topic(a, "delete", name)
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if ok else f"0 passed, 1 failed (work dir {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
