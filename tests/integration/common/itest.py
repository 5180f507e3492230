"""Helpers shared by the integration test drivers (real processes, the real broker)."""
import csv
import os
import shutil
import signal
import subprocess
import sqlite3
import time
import urllib.request


def logger(tag):
    """A print function that stamps each line with the test's tag and the time."""
    def log(msg):
        print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", flush=True)
    return log


def scrape_metrics(port, tries=50, proc=None):
    """A process's /metrics text; it may be (re)starting, so a few tries. None if it never answers,
    or once `proc` (when given) has exited."""
    for _ in range(tries):
        if proc is not None and proc.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                return r.read().decode()
        except OSError:
            time.sleep(0.2)
    return None


def kafka_args(description):
    """The arguments every test with the real broker takes: the binary, the source tree, the broker."""
    import argparse
    import os
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--brokers", default=os.environ.get("CLICKAGG_KAFKA_BROKERS", "127.0.0.1:19092"))
    a = ap.parse_args()
    a.clickagg = os.path.abspath(a.clickagg)
    return a


def topic(a, action, name, partitions=2):
    """Creates or deletes a topic on the test broker (scripts/kafka/topic.sh)."""
    import os
    import subprocess
    script = os.path.join(a.source_dir, "scripts", "kafka", "topic.sh")
    port = a.brokers.rsplit(":", 1)[1]
    extra = ["--partitions", str(partitions)] if action == "create" else []
    subprocess.run([script, action, name, "--port", port] + extra, check=action == "create", capture_output=True)


def minute_label(minute):
    return time.strftime("%Y%m%d%H%M", time.gmtime(minute * 60))


def batch_counts(clickagg, records, out_dir, extra=()):
    """`clickagg aggregate` over a log file: its counts {(ad_id, yyyyMMddHHmm, filter_id): count}
    and its summary."""
    import csv
    import json
    import os
    import subprocess
    subprocess.run([clickagg, "aggregate", "--input", records, "--format", "log", "--engine", "cpu", "--out", out_dir]
                   + list(extra), check=True, capture_output=True)
    with open(os.path.join(out_dir, "counts.csv")) as f:
        counts = {(r["ad_id"], r["minute"], int(r["filter_id"])): int(r["count"]) for r in csv.DictReader(f)}
    with open(os.path.join(out_dir, "summary.json")) as f:
        return counts, json.load(f)


def sqlite_counts(db):
    """The counts a SQLite store holds, keyed as batch_counts keys them."""
    import sqlite3
    conn = sqlite3.connect(db)
    return {(ad, minute_label(m), f): c for ad, m, f, c in conn.execute("SELECT ad_id, minute, filter_id, count FROM counts")}


def _log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_expected(out_dir):
    counts = {}
    with open(os.path.join(out_dir, "counts.csv")) as f:
        for row in csv.DictReader(f):
            counts[(row["ad_id"], row["minute"], int(row["filter_id"]))] = int(row["count"])
    topn = {}
    with open(os.path.join(out_dir, "topn.csv")) as f:
        for row in csv.DictReader(f):
            key = (row["minute"], int(row["window"]), int(row["filter_id"]))
            topn.setdefault(key, []).append((int(row["rank"]), row["ad_id"], int(row["count"])))
    return counts, topn


def read_db(db):
    if db.startswith("postgres"):
        def q(sql):
            out = subprocess.run(["psql", db, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
            return [line.split("\t") for line in out.splitlines() if line]
    else:
        conn = sqlite3.connect(db)

        def q(sql):
            return [tuple(str(v) for v in r) for r in conn.execute(sql)]
    counts = {(a, minute_label(int(m)), int(f)): int(c) for a, m, f, c in q("SELECT ad_id, minute, filter_id, count FROM counts")}
    topn = {}
    for m, w, f, r, a, c in q('SELECT minute, "window", filter_id, rank, ad_id, count FROM topn'):
        topn.setdefault((minute_label(int(m)), int(w), int(f)), []).append((int(r), a, int(c)))
    for v in topn.values():
        v.sort()
    return counts, topn


def read_sqlite_results(db):
    """What a subscriber's merged view must equal, from a SQLite store: `counts` {minute: sorted
    [(ad, filter, count)]}, `lists` {(minute, window, filter): [(ad, count)] in rank order},
    `top_n` {(minute, window, filter): N}, `meta` (the stored counters) and the numbers of
    `late` events and `rejects`."""
    from types import SimpleNamespace
    conn = sqlite3.connect(db)
    counts = {}
    for ad, minute, f, n in conn.execute("SELECT ad_id, minute, filter_id, count FROM counts"):
        counts.setdefault(minute, []).append((ad, f, n))
    for rows in counts.values():
        rows.sort()
    top_n = {(m, w, f): n for m, w, f, n in conn.execute('SELECT minute, "window", filter_id, top_n FROM topn_lists')}
    lists = {k: [] for k in top_n}
    for m, w, f, ad, n in conn.execute('SELECT minute, "window", filter_id, ad_id, count FROM topn '
                                       'ORDER BY minute, "window", filter_id, rank'):
        lists.setdefault((m, w, f), []).append((ad, n))
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    late, = conn.execute("SELECT count(*) FROM late_events").fetchone()
    rejects, = conn.execute("SELECT count(*) FROM rejects").fetchone()
    conn.close()
    return SimpleNamespace(counts=counts, lists=lists, top_n=top_n, meta=meta, late=late, rejects=rejects)


def read_progress(db):
    """The progress values the sink recorded from the aggregator's Progress envelopes."""
    sql = "SELECT key, value FROM meta"
    if db.startswith("postgres"):
        out = subprocess.run(["psql", db, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
        rows = [line.split("\t") for line in out.splitlines() if line]
    else:
        rows = sqlite3.connect(db).execute(sql).fetchall()
    return {k: int(v) for k, v in rows}


def compare_progress(summary, progress):
    """The stored counters after every kill equal the batch run's. late_counted is left out:
    whether a counted event's window had already closed depends on how partitions interleave
    and where micro-batches end (so do windows_closed and corrections); every other counter
    depends only on the records."""
    expected = {"events_total": summary["events_total"], "rejected": summary["rejected"],
                "duplicates": summary["duplicates"], "dropped_late": summary["dropped_late"],
                "counted": summary["counted"]}
    actual = {"events_total": progress.get("events", 0) + progress.get("rejected", 0),
              "rejected": progress.get("rejected"), "duplicates": progress.get("duplicates"),
              "dropped_late": progress.get("dropped_late"), "counted": progress.get("counted")}
    ok = expected == actual and progress.get("late_counted", 0) <= progress.get("counted", 0)
    ok = ok and "consumer_lag" in progress and "last_closed_minute" in progress
    _log(f"progress counters: {'identical' if ok else 'DIFFERENT'}: expected {expected}, stored {progress}")
    return ok


def compare(name, expected, actual):
    missing = [k for k in expected if k not in actual]
    extra = [k for k in actual if k not in expected]
    wrong = [k for k in expected if k in actual and expected[k] != actual[k]]
    if missing or extra or wrong:
        _log(f"{name}: {len(missing)} missing, {len(extra)} extra, {len(wrong)} different of {len(expected)}")
        for k in (missing[:5] + extra[:5] + wrong[:5]):
            _log(f"  {k}: expected {expected.get(k)} got {actual.get(k)}")
        return False
    _log(f"{name}: {len(expected)} rows identical")
    return True


class Proc:
    """A restartable child process whose output goes to a log file."""

    def __init__(self, name, argv, workdir):
        self.name, self.argv, self.workdir = name, argv, workdir
        self.p = None
        self.starts = 0
        self.logf = open(os.path.join(workdir, f"{name}.log"), "ab")

    def start(self):
        self.starts += 1
        self.logf.write(f"--- start {self.starts}\n".encode())
        self.logf.flush()
        self.p = subprocess.Popen(self.argv, stdout=self.logf, stderr=subprocess.STDOUT, cwd=self.workdir)

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def kill9(self):
        if self.alive():
            self.p.send_signal(signal.SIGKILL)
            self.p.wait()

    def stop(self, timeout=30):
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()

    def wait(self, timeout):
        return self.p.wait(timeout)


def diagnose(procs):
    """What a process that does not end was doing: the tail of every log, and the threads'
    stacks of those still running (when gdb is present)."""
    for proc in procs:
        proc.logf.flush()
        with open(os.path.join(proc.workdir, f"{proc.name}.log"), errors="replace") as f:
            tail = f.read().splitlines()[-40:]
        _log(f"--- last lines of {proc.name}.log:")
        for line in tail:
            print(f"    {line}", flush=True)
        if proc.alive() and shutil.which("gdb"):
            out = subprocess.run(["gdb", "-p", str(proc.p.pid), "-batch", "-ex", "thread apply all bt 30"],
                                 capture_output=True, text=True, timeout=120).stdout
            _log(f"--- threads of {proc.name} (pid {proc.p.pid}):")
            print("\n".join(l for l in out.splitlines() if l.startswith(("#", "Thread"))), flush=True)


def equals_batch_run(clickagg, records, ref_dir, db, engine_args):
    """True when the store `db` (SQLite file or PostgreSQL URL) holds exactly what
    `clickagg aggregate` computes from the log file `records`: counts, top-N lists and the
    counters that depend on the records alone. Prints each difference."""
    import json
    subprocess.run([clickagg, "aggregate", "--input", records, "--format", "log", "--out", ref_dir]
                   + list(engine_args), check=True, capture_output=True)
    exp_counts, exp_topn = read_expected(ref_dir)
    got_counts, got_topn = read_db(db)
    ok = compare("counts", exp_counts, got_counts) & compare("top-N lists", exp_topn, got_topn)
    with open(os.path.join(ref_dir, "summary.json")) as f:
        return compare_progress(json.load(f), read_progress(db)) and ok


def verdict(ok, work, keep=False):
    """The driver's last line and exit status; its work dir goes unless it failed or is kept."""
    if ok and not keep:
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if ok else f"0 passed, 1 failed (work dir {work})")
    return 0 if ok else 1
