#!/usr/bin/env python3
"""Reconciliation and replay end to end: real processes, the real broker, the raw-event
archive and a real database.

A generated stream with very late events (past the allowed lateness: the streaming path
drops them) goes to a Kafka topic; `clickagg aggregator` + `clickagg sink` store what the
watermark lets through while `clickagg archive` keeps every event. Then:
  (a) `clickagg reconcile` reports exactly the groups the very late events miss: the
      difference between `clickagg aggregate` over the same records with the normal lateness
      and with an unbounded one, computed independently of the store and the archive;
  (b) stored counts changed on purpose with SQL (an update, a delete, a bogus insert) are
      reported as well, and nothing else;
  (c) `clickagg replay` of the day makes the store hold the unbounded recount (counts and
      top-N lists) and reconcile then reports no mismatch and exits 0;
  (d) a second replay, and one from the Kafka topic in a single chunk, leave every table of
      the database identical.
"""
import argparse
import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import logger  # noqa: E402

DAY = "2021-03-04"
START = DAY + "T06:00:00Z"  # very late events go back at most an hour: all within the day
FILTERS = ("filters:\n  - id: 12\n    name: us\n    country: US\n  - id: 14\n    country: [GB, DE]\n"
           "  - id: 20\n    ip: [10.0.0.0/8, 2001:db8::/32, 100.0.0.0/6]\n")
TOPN = ["--topn-windows", "1,5", "--top", "20"]


log = logger("ops-test")


class Proc:
    def __init__(self, name, argv, workdir):
        self.name = name
        self.logf = open(os.path.join(workdir, f"{name}.log"), "ab")
        self.p = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT, cwd=workdir)

    def wait(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None

    def stop(self, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            self.wait(timeout)


def minute_label(minute):
    return time.strftime("%Y%m%d%H%M", time.gmtime(minute * 60))


class Db:
    """Plain SQL on the store, independent of clickagg."""

    def __init__(self, kind, location):
        self.kind, self.location = kind, location

    def query(self, sql):
        if self.kind == "postgresql":
            out = subprocess.run(["psql", self.location, "-At", "-F", "\t", "-c", sql], check=True,
                                 capture_output=True, text=True).stdout
            return [tuple(line.split("\t")) for line in out.splitlines() if line]
        with sqlite3.connect(self.location) as conn:
            return [tuple("" if v is None else str(v) for v in r) for r in conn.execute(sql)]

    def execute(self, sql):
        if self.kind == "postgresql":
            subprocess.run(["psql", self.location, "-qc", sql], check=True, capture_output=True)
        else:
            with sqlite3.connect(self.location) as conn:
                conn.execute(sql)

    def counts(self):
        return {(a, minute_label(int(m)), int(f)): int(c)
                for a, m, f, c in self.query("SELECT ad_id, minute, filter_id, count FROM counts")}

    def lists(self):
        out = {}
        for m, w, f, r, a, c in self.query('SELECT minute, "window", filter_id, rank, ad_id, count FROM topn'):
            out.setdefault((minute_label(int(m)), int(w), int(f)), []).append((int(r), a, int(c)))
        return {k: sorted(v) for k, v in out.items()}

    def dump(self):
        tables = ["counts", "topn", "topn_lists", "meta", "filters", "late_events", "rejects", "producer_seq"]
        return {t: sorted(self.query(f"SELECT * FROM {t}")) for t in tables}


def read_counts_csv(out_dir):
    with open(os.path.join(out_dir, "counts.csv")) as f:
        return {(r["ad_id"], r["minute"], int(r["filter_id"])): int(r["count"]) for r in csv.DictReader(f)}


def read_topn_csv(out_dir):
    out = {}
    with open(os.path.join(out_dir, "topn.csv")) as f:
        for r in csv.DictReader(f):
            out.setdefault((r["minute"], int(r["window"]), int(r["filter_id"])), []).append(
                (int(r["rank"]), r["ad_id"], int(r["count"])))
    return {k: sorted(v) for k, v in out.items()}


def diff(stored, truth):
    """Every group either side has where the two differ: {(ad, minute, filter): (stored, truth)}."""
    return {k: (stored.get(k, 0), truth.get(k, 0)) for k in set(stored) | set(truth)
            if stored.get(k, 0) != truth.get(k, 0)}


def run_reconcile(a, db_loc, archive, filters, work, name):
    r = subprocess.run([a.clickagg, "reconcile", "--day", DAY, "--db", db_loc, "--archive-dir", archive,
                        "--filters", filters, "--engine", "cpu"], capture_output=True, text=True)
    with open(os.path.join(work, f"{name}.out"), "w") as f:
        f.write(r.stdout + r.stderr)
    summary, mismatches, in_table = {}, {}, False
    for line in r.stdout.splitlines():
        if line == "ad_id,minute,filter_id,stored,recounted":
            in_table = True
        elif in_table:
            ad, minute, f, stored, recounted = line.rsplit(",", 4)
            mismatches[(ad, minute, int(f))] = (int(stored), int(recounted))
        elif ": " in line:
            key, value = line.split(": ", 1)
            summary[key] = value
    return r.returncode, summary, mismatches


def check(ok, what):
    log(("ok: " if ok else "FAILED: ") + what)
    return ok


def show(name, got, want):
    for k in sorted(set(got) | set(want))[:10]:
        if got.get(k) != want.get(k):
            log(f"  {name} {k}: got {got.get(k)} want {want.get(k)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--brokers", default=os.environ.get("CLICKAGG_KAFKA_BROKERS", "127.0.0.1:19092"))
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    ap.add_argument("--pg-url", default=os.environ.get("CLICKAGG_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CLICKAGG_TEST_SEED", "5")))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.clickagg = os.path.abspath(a.clickagg)

    work = tempfile.mkdtemp(prefix="clickagg-ops-")
    topic = f"ops-{os.getpid()}-{a.seed}"
    port = a.brokers.rsplit(":", 1)[1]
    log(f"work dir {work}, topic {topic}, seed {a.seed}, db {a.db}")
    subprocess.run([os.path.join(a.source_dir, "scripts", "kafka", "topic.sh"), "create", topic,
                    "--partitions", "4", "--port", port], check=True, capture_output=True)

    filters = os.path.join(work, "filters.yaml")
    with open(filters, "w") as f:
        f.write(FILTERS)
    # 60 events per second of event time: about 8 minutes, very late ones up to an hour back.
    gen = [a.clickagg, "gen", "--seed", str(a.seed), "--count", str(a.events), "--format", "log", "--ads", "300",
           "--events-per-second", "60", "--start", START, "--out-of-order", "0.05", "--late", "0.02",
           "--very-late", "0.004", "--duplicates", "0.03", "--malformed", "0.003"]
    records = os.path.join(work, "records.log")
    subprocess.run(gen + ["--out", records], check=True)

    if a.db == "postgresql":
        dbname = f"clickagg_ops_{os.getpid()}"
        subprocess.run(["psql", a.pg_url, "-qc", f"DROP DATABASE IF EXISTS {dbname}"], check=True, capture_output=True)
        subprocess.run(["psql", a.pg_url, "-qc", f"CREATE DATABASE {dbname}"], check=True, capture_output=True)
        db_loc = a.pg_url.rsplit("/", 1)[0] + "/" + dbname
    else:
        db_loc = os.path.join(work, "clicks.db")
    db = Db(a.db, db_loc)
    archive = os.path.join(work, "archive")

    sink_ep = f"tcp://127.0.0.1:{22000 + os.getpid() % 10000}"
    sink = Proc("sink", [a.clickagg, "sink", "--listen", sink_ep, "--db", db_loc, "--filters", filters], work)
    agg = Proc("aggregator", [a.clickagg, "aggregator", "--brokers", a.brokers, "--topic", topic, "--group", topic,
                              "--format", "log", "--state-dir", os.path.join(work, "state"), "--sink", sink_ep,
                              "--member-id", "agg-ops", "--checkpoint-interval", "1s", "--finish-when-idle", "4s",
                              "--engine", "cpu", "--threads", "2", "--filters", filters] + TOPN, work)
    arch = Proc("archive", [a.clickagg, "archive", "--brokers", a.brokers, "--topic", topic, "--group", topic + "-archive",
                            "--dir", archive, "--format", "log", "--finish-when-idle", "4s"], work)
    # Produced while the aggregator runs, so that it reads the partitions side by side as in
    # production (a topic read all at once lets one partition's watermark run far ahead and
    # drop merely late events): it gets a moment to start first.
    time.sleep(2)
    producer = Proc("producer", gen + ["--kafka", a.brokers, "--topic", topic, "--rate", str(a.events // 20)], work)
    # The references, meanwhile: the streaming semantics, and every event counted once.
    normal, truth = os.path.join(work, "normal"), os.path.join(work, "truth")
    base = [a.clickagg, "aggregate", "--input", records, "--format", "log", "--engine", "cpu", "--filters", filters] + TOPN
    subprocess.run(base + ["--out", normal], check=True, capture_output=True)
    subprocess.run(base + ["--allowed-lateness", "10000h", "--out", truth], check=True, capture_output=True)
    rc_prod = producer.wait(120)
    rc_agg, rc_arch = agg.wait(240), arch.wait(240)
    # The sink keeps running (as in production) while reconcile and replay work on its store.
    if rc_prod != 0 or rc_agg != 0 or rc_arch != 0:
        log(f"producer exited {rc_prod}, aggregator exited {rc_agg}, archive exited {rc_arch}")
        sink.stop()
        return 1

    normal_counts, truth_counts = read_counts_csv(normal), read_counts_csv(truth)
    late = diff(normal_counts, truth_counts)
    ok = True
    ok &= check(len(late) > 0 and all(s < t for s, t in late.values()),
                f"{len(late)} groups lose very late events in the streaming semantics")
    stored = db.counts()
    ok &= check(stored == normal_counts, f"the store holds what the streaming semantics count ({len(stored)} groups)")
    if stored != normal_counts:
        show("stored", stored, normal_counts)

    # (a) The very late events, nothing else.
    rc, summary, found = run_reconcile(a, db_loc, archive, filters, work, "reconcile-a")
    ok &= check(rc == 1 and found == late, f"reconcile reports exactly the very late groups (exit {rc}, {len(found)} reported)")
    if found != late:
        show("reported", found, late)
    groups = len(set(stored) | set(truth_counts))
    ok &= check(summary.get("groups checked") == str(groups) and summary.get("mismatched") == str(len(late)),
                f"summary: {summary}")
    rec = db.query("SELECT key, value FROM meta WHERE key LIKE 'reconcile%'")
    ok &= check(any(v == str(len(late)) for k, v in rec if "mismatch" in k), f"outcome recorded in the store: {rec}")

    # (b) Counts changed behind the store's back.
    keys = sorted(k for k in stored if k not in late)
    upd, dele = keys[len(keys) // 3], keys[2 * len(keys) // 3]
    minute_of = {minute_label(int(m)): int(m) for (m,) in db.query("SELECT DISTINCT minute FROM counts")}
    db.execute(f"UPDATE counts SET count = count + 5 WHERE ad_id = '{upd[0]}' AND minute = {minute_of[upd[1]]} "
               f"AND filter_id = {upd[2]}")
    db.execute(f"DELETE FROM counts WHERE ad_id = '{dele[0]}' AND minute = {minute_of[dele[1]]} AND filter_id = {dele[2]}")
    bogus_minute = minute_of[upd[1]]
    db.execute(f"INSERT INTO counts (ad_id, minute, filter_id, count) VALUES ('bogus-ad', {bogus_minute}, 0, 4)")
    want = dict(late)
    want[upd] = (stored[upd] + 5, truth_counts[upd])
    want[dele] = (0, truth_counts[dele])
    want[("bogus-ad", minute_label(bogus_minute), 0)] = (4, 0)
    rc, summary, found = run_reconcile(a, db_loc, archive, filters, work, "reconcile-b")
    ok &= check(rc == 1 and found == want, f"reconcile reports the late groups and the 3 changed ones (exit {rc})")
    if found != want:
        show("reported", found, want)

    # (c) Replay the day: the store holds the recount; reconcile is clean.
    replay = [a.clickagg, "replay", "--from", DAY + "T00:00", "--to", "202103050000", "--db", db_loc,
              "--filters", filters, "--engine", "cpu"] + TOPN
    r = subprocess.run(replay + ["--source", "archive", "--archive-dir", archive], capture_output=True, text=True)
    with open(os.path.join(work, "replay-1.out"), "w") as f:
        f.write(r.stdout + r.stderr)
    ok &= check(r.returncode == 0, f"replay from the archive exits 0 ({r.stdout.strip().splitlines()[-1:]})")
    ok &= check(db.counts() == truth_counts, "after the replay the store holds the recount")
    truth_lists, lists = read_topn_csv(truth), db.lists()
    last = max(m for _, m, _ in truth_counts)
    lists_in_data = {k: v for k, v in lists.items() if k[0] <= last}
    ok &= check(lists_in_data == truth_lists, f"top-N lists equal the recount's ({len(truth_lists)} lists)")
    if lists_in_data != truth_lists:
        show("list", lists_in_data, truth_lists)
    rc, summary, found = run_reconcile(a, db_loc, archive, filters, work, "reconcile-c")
    ok &= check(rc == 0 and not found and summary.get("mismatched") == "0", f"reconcile after replay: exit {rc}, {summary}")

    # (d) Idempotent: again from the archive, then from Kafka in one chunk.
    before = db.dump()
    r = subprocess.run(replay + ["--source", "archive", "--archive-dir", archive], capture_output=True, text=True)
    ok &= check(r.returncode == 0 and db.dump() == before, "a second replay changes nothing")
    r = subprocess.run(replay + ["--source", "kafka", "--brokers", a.brokers, "--topic", topic, "--format", "log",
                                 "--chunk", "24h"], capture_output=True, text=True)
    with open(os.path.join(work, "replay-kafka.out"), "w") as f:
        f.write(r.stdout + r.stderr)
    ok &= check(r.returncode == 0 and db.dump() == before, "a replay from the Kafka topic in one chunk changes nothing")

    # Bad usage: exit 2 with one line, nothing written. Without the filter file the store
    # records, a replay would clear the filtered rows: refused.
    bad = [
        [a.clickagg, "reconcile", "--day", "2021-02-30", "--db", db_loc, "--archive-dir", archive],
        [a.clickagg, "reconcile", "--day", DAY, "--hour", DAY + "T06", "--db", db_loc, "--archive-dir", archive],
        [a.clickagg, "replay", "--from", "202103040600", "--to", "202103040500", "--db", db_loc, "--archive-dir", archive],
        [a.clickagg, "replay", "--from", "202103040600", "--to", "202103040700", "--db", db_loc, "--archive-dir", archive],
        [a.clickagg, "replay", "--from", "202103040600", "--to", "202103040700", "--db", db_loc, "--source", "kafka"],
    ]
    for argv in bad:
        r = subprocess.run(argv, capture_output=True, text=True)
        ok &= check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1,
                    f"exit {r.returncode} for {' '.join(argv[1:3])}...: {r.stderr.strip()}")
    ok &= check(db.dump() == before, "bad usage wrote nothing")
    sink.stop()
    ok &= check(sink.p.returncode == 0, f"the sink ran throughout and stopped cleanly (exit {sink.p.returncode})")

    if a.db == "postgresql":
        subprocess.run(["psql", a.pg_url, "-qc", f"DROP DATABASE IF EXISTS {dbname}"], capture_output=True)
    subprocess.run([os.path.join(a.source_dir, "scripts", "kafka", "topic.sh"), "delete", topic, "--port", port],
                   capture_output=True)
    if ok and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if ok else f"0 passed, 1 failed (logs in {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
