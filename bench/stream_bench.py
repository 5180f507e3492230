#!/usr/bin/env python3
"""End-to-end streaming benchmark: Kafka topic -> aggregator -> sink -> committed rows.

In one run on one machine:
  1. a bare librdkafka consumer reads the topic (the ceiling for ingest);
  2. `clickagg aggregator` + `clickagg sink` process the same topic from the start until the
     sink has committed everything (events/s from topic to committed rows);
  3. a live run with event time following the wall clock measures, for every closed minute,
     the time from the window's end to its rows being in the database (compare with the
     watermark delay: the target is p99 <= delay + 2 s).

  bench/stream_bench.py --build build [--events 2000000] [--repeat 3] [--live-seconds 200] [--out results.json]
"""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def sh(argv, **kw):
    return subprocess.run(argv, check=True, **kw)


class SkipLive(Exception):
    """--live-seconds 0: throughput only."""


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


def cpu_seconds_of(pid):
    """user + system CPU seconds of a live process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def end_to_end(exe, brokers, topic, a, work, db_kind, rep):
    """Aggregator + sink over the whole topic: seconds from the aggregator's start (group join
    included) and from its partition assignment to the sink's last commit, and the CPU seconds
    each process used."""
    db = os.path.join(work, f"bench-{rep}.db")
    if db_kind == "postgresql":
        sh(["psql", "postgresql://postgres@127.0.0.1:5432/test", "-qc", "DROP DATABASE IF EXISTS clickagg_bench"],
           capture_output=True)
        sh(["psql", "postgresql://postgres@127.0.0.1:5432/test", "-qc", "CREATE DATABASE clickagg_bench"],
           capture_output=True)
        db = "postgresql://postgres@127.0.0.1:5432/clickagg_bench"
    sink = subprocess.Popen([exe, "sink", "--listen", "tcp://127.0.0.1:25560", "--db", db],
                            stderr=open(os.path.join(work, f"sink-{db_kind}-{rep}.log"), "w"))
    time.sleep(0.3)
    log = open(os.path.join(work, f"aggregator-{db_kind}-{rep}.log"), "w")
    t0 = time.time()
    agg = subprocess.Popen([exe, "aggregator", "--brokers", brokers, "--topic", topic, "--group",
                            f"bench-{db_kind}-{rep}", "--format", a.format,
                            "--state-dir", os.path.join(work, f"state-{db_kind}-{rep}"),
                            "--sink", "tcp://127.0.0.1:25560", "--finish-when-idle", "1s", "--engine", "cpu"],
                           stderr=subprocess.PIPE, text=True)
    assigned = None
    for line in agg.stderr:
        log.write(line)
        if assigned is None and "assigned partitions" in line:
            assigned = time.time()
    _, status, usage = os.wait4(agg.pid, 0)
    t1 = time.time()
    if status != 0:
        raise RuntimeError(f"aggregator failed ({status}), see {log.name}")
    sink_cpu = cpu_seconds_of(sink.pid)
    sink.terminate()
    sink.wait()
    secs = t1 - t0 - 1.0  # less the idle wait that ends the input
    steady = t1 - (assigned or t0) - 1.0
    return {"seconds": secs, "events_per_s": a.events / secs, "after_assignment_seconds": steady,
            "events_per_s_after_assignment": a.events / steady,
            "aggregator_cpu_s": usage.ru_utime + usage.ru_stime, "sink_cpu_s": sink_cpu}


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--format", default="binary")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--port", type=int, default=19292)
    ap.add_argument("--repeat", type=int, default=3, help="throughput runs; medians are reported")
    ap.add_argument("--live-seconds", type=int, default=200)
    ap.add_argument("--live-rate", type=int, default=20000)
    ap.add_argument("--out", default="stream_bench.json")
    a = ap.parse_args()

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = os.path.join(root, a.build, "host/cli/clickagg")
    bare = os.path.join(root, a.build, "bench/bare_consumer")
    kafka = os.path.join(root, "scripts/kafka")
    work = tempfile.mkdtemp(prefix="clickagg-bench-")
    brokers = f"127.0.0.1:{a.port}"
    sh([os.path.join(kafka, "start.sh"), "--port", str(a.port), "--dir", os.path.join(work, "kafka")])
    results = {"events": a.events, "format": a.format, "partitions": a.partitions}
    try:
        topic = "bench-clicks"
        sh([os.path.join(kafka, "topic.sh"), "create", topic, "--partitions", str(a.partitions), "--port", str(a.port)])
        t0 = time.time()
        sh([exe, "gen", "--count", str(a.events), "--format", a.format, "--seed", "3", "--out-of-order", "0.05",
            "--duplicates", "0.02", "--kafka", brokers, "--topic", topic])
        results["produce_s"] = time.time() - t0

        for rep in range(a.repeat):
            out = subprocess.run([bare, "--brokers", brokers, "--topic", topic, "--count", str(a.events), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            results.setdefault("bare_consumer_runs", []).append(json.loads(out.strip().splitlines()[-1]))
            for db_kind in ("sqlite", "postgresql"):
                run = end_to_end(exe, brokers, topic, a, work, db_kind, rep)
                results.setdefault(f"e2e_{db_kind}_runs", []).append(run)

        # Live latency: event time = wall clock, default 15 s delay.
        if a.live_seconds <= 0:
            raise SkipLive()
        topic = "bench-live"
        sh([os.path.join(kafka, "topic.sh"), "create", topic, "--partitions", str(a.partitions), "--port", str(a.port)])
        db = os.path.join(work, "live.db")
        sink = subprocess.Popen([exe, "sink", "--listen", "tcp://127.0.0.1:25561", "--db", db],
                                stderr=open(os.path.join(work, "sink-live.log"), "w"))
        agg = subprocess.Popen([exe, "aggregator", "--brokers", brokers, "--topic", topic, "--group", "live",
                                "--format", a.format, "--state-dir", os.path.join(work, "state-live"),
                                "--sink", "tcp://127.0.0.1:25561", "--engine", "cpu", "--batch-wait", "50ms"],
                               stderr=open(os.path.join(work, "aggregator-live.log"), "w"))
        start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        prod = subprocess.Popen([exe, "gen", "--count", str(a.live_rate * a.live_seconds), "--format", a.format,
                                 "--rate", str(a.live_rate), "--events-per-second", str(a.live_rate), "--start", start,
                                 "--kafka", brokers, "--topic", topic])
        seen = {}
        deadline = time.time() + a.live_seconds + 30
        while time.time() < deadline:
            time.sleep(0.1)
            if not os.path.exists(db):
                continue
            try:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                for (m,) in conn.execute("SELECT DISTINCT minute FROM counts"):
                    seen.setdefault(m, time.time())
                conn.close()
            except sqlite3.Error:
                pass
        prod.wait()
        agg.terminate()
        agg.wait()
        sink.terminate()
        sink.wait()
        first = min(seen) if seen else None
        # The first minute starts mid-way (the run's start); later ones are whole.
        lat = [seen[m] - (m + 1) * 60 for m in seen if m != first]
        results["window_end_to_row_s"] = {"minutes": len(lat), "p50": percentile(lat, 50), "p99": percentile(lat, 99),
                                          "max": max(lat) if lat else None, "delay_s": 15}
    except SkipLive:
        pass
    finally:
        sh([os.path.join(kafka, "stop.sh"), "--port", str(a.port), "--dir", os.path.join(work, "kafka")])
    return finish(a, results, work)


def finish(a, results, work):
    bare = results["bare_consumer_runs"]
    # Both ways of counting, the same for both sides: from process start (group join included)
    # and the steady rate (from the partition assignment on).
    results["bare_consumer"] = {
        "from_start_per_s": median([b["messages"] / (b["seconds"] + b["join_seconds"]) for b in bare]),
        "steady_per_s": median([b["messages"] / b["seconds"] for b in bare]),
    }
    for k in ("e2e_sqlite", "e2e_postgresql"):
        runs = results[k + "_runs"]
        results[k] = {"from_start_per_s": median([r["events_per_s"] for r in runs]),
                      "steady_per_s": median([r["events_per_s_after_assignment"] for r in runs]),
                      "aggregator_cpu_s": median([r["aggregator_cpu_s"] for r in runs]),
                      "sink_cpu_s": median([r["sink_cpu_s"] for r in runs])}
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
    b = results["bare_consumer"]
    print(f"medians of {a.repeat} runs, {a.events:,} events")
    print(f"{'step':<34}{'from start/s':>14}{'steady/s':>12}{'% of bare':>11}{'agg cpu s':>11}{'sink cpu s':>11}")
    print(f"{'bare librdkafka consumer':<34}{b['from_start_per_s']:>14,.0f}{b['steady_per_s']:>12,.0f}")
    for k in ("e2e_sqlite", "e2e_postgresql"):
        r = results[k]
        print(f"{'topic -> committed rows (' + k[4:] + ')':<34}{r['from_start_per_s']:>14,.0f}{r['steady_per_s']:>12,.0f}"
              f"{100 * r['steady_per_s'] / b['steady_per_s']:>10.1f}%{r['aggregator_cpu_s']:>11.2f}{r['sink_cpu_s']:>11.2f}")
    w = results.get("window_end_to_row_s")
    if w:
        print(f"window end -> row: p50 {w['p50']:.2f} s, p99 {w['p99']:.2f} s over {w['minutes']} minutes (delay 15 s)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
