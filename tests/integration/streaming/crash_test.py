#!/usr/bin/env python3
"""Exactly-once through crashes, with real processes, the real broker and a real database.

Produces a generated click stream into a Kafka topic with several partitions, runs
`clickagg sink` and `clickagg aggregator`, kills them with SIGKILL at random moments and
restarts them, and at the end requires the database to hold exactly what
`clickagg aggregate` computes from the same records: nothing lost, nothing counted twice.

Variants: --db sqlite|postgresql, --broker-restart (stop and start the broker mid-stream),
--slow-sink (commits throttled so the aggregator must apply backpressure),
--kills N (0 for a plain run), --aggregators N (several group members sharing one state
directory: partitions move between them on every kill, stop and restart, and the run fails
unless some partition was owned by more than one of them).
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import Proc, diagnose, equals_batch_run, logger, scrape_metrics, verdict  # noqa: E402


log = logger("crash-test")


def assignments(work, proc):
    """How many times the group gave partitions to this aggregator, from its log."""
    with open(os.path.join(work, f"{proc.name}.log"), errors="replace") as f:
        return f.read().count("assigned partitions")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--brokers", default=os.environ.get("CLICKAGG_KAFKA_BROKERS", "127.0.0.1:19092"))
    ap.add_argument("--kafka-dir", default=None, help="the broker's data dir (for restarts)")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("CLICKAGG_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--events", type=int, default=150000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--kills", type=int, default=24)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CLICKAGG_TEST_SEED", "7")))
    ap.add_argument("--broker-restart", action="store_true")
    ap.add_argument("--slow-sink", action="store_true")
    ap.add_argument("--aggregators", type=int, default=1)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.clickagg = os.path.abspath(a.clickagg)

    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="clickagg-crash-")
    topic = f"clicks-{os.getpid()}-{a.seed}"
    kafka = os.path.join(a.source_dir, "scripts", "kafka")
    port = a.brokers.rsplit(":", 1)[1]
    log(f"work dir {work}, topic {topic}, seed {a.seed}")
    subprocess.run([os.path.join(kafka, "topic.sh"), "create", topic, "--partitions", str(a.partitions), "--port", port],
                   check=True)
    broker_args = ["--port", port] + (["--dir", a.kafka_dir] if a.kafka_dir else [])

    # The same records go to a file (for the batch reference) and to Kafka.
    gen = [a.clickagg, "gen", "--seed", str(a.seed), "--count", str(a.events), "--format", "log",
           "--ads", "5000", "--events-per-second", "1000", "--out-of-order", "0.05", "--late", "0",
           "--very-late", "0", "--duplicates", "0.03", "--malformed", "0.005"]
    records = os.path.join(work, "records.log")
    filters = os.path.join(work, "filters.yaml")
    with open(filters, "w") as f:
        f.write("filters:\n  - id: 12\n    country: US\n  - id: 14\n    country: [GB, DE]\n"
                "  - id: 20\n    ip: [10.0.0.0/8, 2001:db8::/32, 100.0.0.0/6]\n")
    subprocess.run(gen + ["--out", records], check=True)
    producer = Proc("producer", gen + ["--kafka", a.brokers, "--topic", topic, "--rate", str(a.events // 30)], work)
    producer.start()

    if a.db == "postgresql":
        dbname = f"clickagg_crash_{os.getpid()}"
        admin = a.pg_url
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {dbname}"], check=True, capture_output=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {dbname}"], check=True, capture_output=True)
        db = admin.rsplit("/", 1)[0] + "/" + dbname
    else:
        db = os.path.join(work, "clicks.db")

    sink_port = 21000 + os.getpid() % 11000  # clear of the broker (19092) and the ephemeral range
    sink_ep = f"tcp://127.0.0.1:{sink_port}"
    sink_argv = [a.clickagg, "sink", "--listen", sink_ep, "--db", db]
    if a.slow_sink:
        sink_argv += ["--delay-per-commit", "150ms"]
    sink = Proc("sink", sink_argv, work)
    # End of input is "read to the end and quiet for a while": the producer may stall for
    # seconds while the broker restarts, so that variant waits longer before calling it.
    def aggregator(i):
        name = "aggregator" if a.aggregators == 1 else f"aggregator-{i}"
        return Proc(name, [a.clickagg, "aggregator", "--brokers", a.brokers, "--topic", topic,
                           "--group", topic, "--format", "log", "--state-dir", os.path.join(work, "state"),
                           "--sink", sink_ep, "--member-id", name, "--batch-max", "5000",
                           "--checkpoint-interval", "700ms", "--max-in-flight", "4" if a.slow_sink else "2000",
                           "--finish-when-idle", "20s" if a.broker_restart else "6s", "--engine", "cpu", "--threads", "2",
                           "--filters", filters, "--topn-windows", "1,5", "--top", "20",
                           # A member killed with -9 holds its partitions until its session ends.
                           "--kafka-option", "session.timeout.ms=6000", "--kafka-option", "heartbeat.interval.ms=500",
                           # A member killed while the group rebalances is waited for this long.
                           "--kafka-option", "max.poll.interval.ms=10000",
                           "--metrics-listen", f"127.0.0.1:{sink_port + 1 + i}"], work)
    aggs = [aggregator(i) for i in range(a.aggregators)]
    sink.start()
    for agg in aggs:
        agg.start()

    kills = stops = 0
    broker_restarted = False
    deadline = time.time() + 600
    while kills < a.kills and time.time() < deadline:
        time.sleep(rng.uniform(0.2, 1.2))
        if a.broker_restart and not broker_restarted and kills == a.kills // 2:
            log("restarting the broker")
            subprocess.run([os.path.join(kafka, "restart.sh")] + broker_args, check=True)
            broker_restarted = True
        # With several aggregators, at least one clean stop (a third of the way in) so that
        # partitions surely move with a checkpoint.
        force_stop = a.aggregators > 1 and stops == 0 and kills >= a.kills // 3
        victim = rng.choice(aggs) if force_stop or rng.random() < 0.6 else sink
        if not victim.alive() and victim is not sink:
            break  # finished already
        if a.aggregators > 1 and victim is not sink and (force_stop or rng.random() < 0.3):
            stops += 1
            # A clean stop leaves the group: its partitions move, with a checkpoint, to the
            # others; wait until one of them has taken them over, then bring it back.
            others = [g for g in aggs if g is not victim]
            before = sum(assignments(work, g) for g in others)
            victim.stop()
            log(f"stop {victim.name}")
            wait_until = time.time() + 30
            while sum(assignments(work, g) for g in others) == before and time.time() < wait_until:
                time.sleep(0.2)
        else:
            victim.kill9()
            kills += 1
            log(f"kill -9 {victim.name} (#{kills})")
            time.sleep(rng.uniform(0.0, 0.5))
        victim.start()

    producer.wait(300)
    if producer.p.returncode != 0:
        log("producer failed")
        return 1
    log(f"{kills} kills; producer done; waiting for the aggregator to finish")
    # The lag series exist on a member that owns partitions: one just restarted after a kill
    # gets them once the group has let the killed member's session expire.
    metrics = None
    scrape_until = time.time() + 40
    while time.time() < scrape_until:
        scraped = [scrape_metrics(sink_port + 1 + i) for i in range(a.aggregators)]
        metrics = next((m for m in scraped if m and "consumer_lag{partition=" in m), scraped[0])
        if metrics and "consumer_lag{partition=" in metrics:
            break
        time.sleep(0.5)
    if a.broker_restart and not broker_restarted:
        subprocess.run([os.path.join(kafka, "restart.sh")] + broker_args, check=True)
    for agg in aggs:
        try:
            rc = agg.wait(300)
        except subprocess.TimeoutExpired:
            log(f"{agg.name} did not finish within 300 s")
            diagnose(aggs + [sink])
            for p in aggs + [sink]:
                p.kill9()
            return 1
        if rc != 0:
            log(f"{agg.name} exited with {rc}")
            diagnose(aggs + [sink])
            return 1
    # The aggregator exits only after the sink acknowledged everything.
    sink.stop()

    ok = equals_batch_run(a.clickagg, records, os.path.join(work, "reference"), db,
                          ["--engine", "cpu", "--filters", filters, "--topn-windows", "1,5", "--top", "20"])
    if a.db == "postgresql":
        subprocess.run(["psql", a.pg_url, "-qc", f"DROP DATABASE IF EXISTS {dbname}"], capture_output=True)
    needed = ["clickagg_aggregator_messages_total", "clickagg_aggregator_consumer_lag{partition=",
              "clickagg_aggregator_in_flight", "clickagg_aggregator_checkpoint_seconds",
              "clickagg_aggregator_partitions"]
    if not metrics or any(n not in metrics for n in needed):
        log("the aggregator's /metrics lacks the operator counters")
        ok = False
    if a.slow_sink:
        # The throttled sink must have made the aggregator wait for room in flight.
        import re
        with open(os.path.join(work, "aggregator.log"), errors="replace") as f:
            waited = [int(m) for m in re.findall(r"backpressure (\d+) ms", f.read())]
        log(f"aggregator waited for the sink: up to {max(waited, default=0)} ms per run")
        if not waited or max(waited) == 0:
            log("the slow sink never held the aggregator back")
            ok = False
    if a.aggregators > 1:
        # Partitions must really have moved: some partition owned by two members over the run.
        import re
        owners = {}
        for i, agg in enumerate(aggs):
            with open(os.path.join(work, f"{agg.name}.log"), errors="replace") as f:
                for m in re.finditer(r"assigned partitions ([0-9,]+)", f.read()):
                    for p in m.group(1).split(","):
                        owners.setdefault(int(p), set()).add(i)
        moved = sorted(p for p, o in owners.items() if len(o) > 1)
        log(f"partitions owned by more than one aggregator: {moved}")
        if not moved:
            ok = False
    if kills < a.kills:
        log(f"only {kills} kills happened before the run ended (wanted {a.kills})")
        ok = False
    return verdict(ok, work, a.keep)


if __name__ == "__main__":
    sys.exit(main())
