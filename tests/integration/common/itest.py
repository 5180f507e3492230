"""Helpers shared by the integration test drivers (real processes, the real broker)."""
import time
import urllib.request


def logger(tag):
    """A print function that stamps each line with the test's tag and the time."""
    def log(msg):
        print(f"[{tag} {time.strftime('%H:%M:%S')}] {msg}", flush=True)
    return log


def scrape_metrics(port, tries=50):
    """A process's /metrics text; it may be (re)starting, so a few tries. None if it never answers."""
    for _ in range(tries):
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
