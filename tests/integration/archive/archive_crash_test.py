#!/usr/bin/python3
"""`clickagg archive` keeps every accepted record exactly once through SIGKILLs.

Real processes and the real broker: `clickagg gen` produces a click stream (out of order,
late, very late, duplicated and malformed records) into a topic with several partitions while
`clickagg archive` consumes it and is killed with SIGKILL at random moments and restarted;
a last run finishes once the topic is drained. Then everything is checked with tools that
share no code with clickagg:
  - the topic itself, read with confluent-kafka (Debian's python3-confluent-kafka);
  - which records are acceptable, decided by a validator written here from the spec;
  - the archive, read with Apache Avro's Python reader (Debian's python3-avro, avro_dump.py).
The archived (partition, offset) pairs must be exactly the acceptable records, each once, with
the same field values; the dead letters exactly the others, each once; every event must sit
in the directory of its event hour.
"""
import argparse
import datetime
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import avro_dump  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import logger, scrape_metrics  # noqa: E402

from confluent_kafka import Consumer, TopicPartition  # noqa: E402


log = logger("archive-test")


# ISO 3166 alpha-3 -> alpha-2 for the codes the generator writes (its unknown "xk" stays).
ALPHA3 = {"USA": "US", "GBR": "GB", "DEU": "DE", "FRA": "FR", "IND": "IN", "CHN": "CN", "JPN": "JP",
          "BRA": "BR", "CAN": "CA", "AUS": "AU", "KOR": "KR", "NLD": "NL", "ESP": "ES", "ITA": "IT",
          "MEX": "MX", "SWE": "SE"}
TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?$")


def expected_event(value):
    """The event a log record must archive as (a dict like avro_dump's), or None when the
    spec says reject: oversized, invalid UTF-8, no tag, wrong field count, empty or bad
    ad_id, bad timestamp, bad IP, bad country."""
    if len(value) > 4096:
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    tag = "[AdClickEvent]"
    if not text.startswith(tag):
        return None
    fields = [f.strip(" \t\r\n") for f in text[len(tag):].split(",")]
    if len(fields) not in (5, 6):
        return None
    ad, ts, user, ip, country = fields[:5]
    if not ad or len(ad.encode()) > 64 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in ad):
        return None
    m = TIME.match(ts)
    if not m:
        return None
    try:
        dt = datetime.datetime(*(int(g) for g in m.groups()[:6]), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    t_ms = int(dt.timestamp()) * 1000 + int(m.group(7) or 0)
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not country or len(country) > 16 or not all(0x21 <= ord(c) < 0x7F for c in country):
        return None
    country = country.upper()
    if len(country) == 3:
        if country not in ALPHA3:
            raise AssertionError(f"alpha-3 code {country} missing from the test's table")
        country = ALPHA3[country]
    click_id = fields[5] if len(fields) == 6 and fields[5] else None
    return {"ad_id": ad, "event_time_ms": t_ms, "user_id": user, "ip": addr, "country": country,
            "click_id": click_id}


def read_topic(brokers, topic, partitions):
    """{(partition, offset): value} for the whole topic, straight from the broker."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"archive-test-{os.getpid()}",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    ends = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    out = {}
    done = {p for p, end in ends.items() if end == 0}
    deadline = time.time() + 60
    while len(done) < partitions and time.time() < deadline:
        msg = c.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                if msg.offset() >= ends[msg.partition()]:
                    done.add(msg.partition())
                continue
            raise RuntimeError(msg.error())
        out[(msg.partition(), msg.offset())] = msg.value()
        if msg.offset() + 1 >= ends[msg.partition()]:
            done.add(msg.partition())
    c.close()
    assert len(done) == partitions, "could not read the whole topic"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--brokers", default=os.environ.get("CLICKAGG_KAFKA_BROKERS", "127.0.0.1:19092"))
    ap.add_argument("--events", type=int, default=60000)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--codec", default="deflate")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CLICKAGG_TEST_SEED", "7")))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.clickagg = os.path.abspath(a.clickagg)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="clickagg-archive-")
    archive_dir = os.path.join(work, "archive")
    topic = f"archive-{os.getpid()}-{a.seed}"
    port = a.brokers.rsplit(":", 1)[1]
    log(f"work dir {work}, topic {topic}, seed {a.seed}")
    subprocess.run([os.path.join(a.source_dir, "scripts", "kafka", "topic.sh"), "create", topic,
                    "--partitions", str(a.partitions), "--port", port], check=True)

    # Five events per second of event time: the stream spans several hours (and the late
    # ones reach back into earlier hours).
    gen = [a.clickagg, "gen", "--seed", str(a.seed), "--count", str(a.events), "--format", "log",
           "--events-per-second", "5", "--start", "2021-06-30 22:40:00", "--click-id-fraction", "0.5",
           "--ipv6-fraction", "0.2", "--out-of-order", "0.05", "--late", "0.02", "--very-late", "0.01",
           "--duplicates", "0.03", "--malformed", "0.01",
           "--kafka", a.brokers, "--topic", topic, "--rate", str(a.events // 15)]
    genlog = open(os.path.join(work, "gen.log"), "wb")
    producer = subprocess.Popen(gen, stdout=genlog, stderr=subprocess.STDOUT)

    metrics_port = 20000 + os.getpid() % 20000
    archive = [a.clickagg, "archive", "--brokers", a.brokers, "--topic", topic, "--group", f"archive-{topic}",
               "--dir", archive_dir, "--codec", a.codec, "--max-file-bytes", "65536",
               "--batch-max", "2000", "--metrics-listen", f"127.0.0.1:{metrics_port}"]
    alog = open(os.path.join(work, "archive.log"), "ab")
    ok = True
    scraped = None
    for k in range(a.kills):
        alog.write(f"--- run {k + 1}\n".encode())
        alog.flush()
        # Long commit intervals let written blocks reach the disk uncommitted (torn tails for
        # the restart to cut back); short ones kill between commits with little in memory.
        interval = rng.choice(["100ms", "1s", "2s"])
        p = subprocess.Popen(archive + ["--commit-interval", interval], stdout=alog, stderr=subprocess.STDOUT)
        time.sleep(rng.uniform(0.3, 2.5))
        if k == 2:
            scraped = scrape_metrics(metrics_port)
        if p.poll() is not None:
            log(f"archive exited early with {p.returncode}")
            ok = False
        p.send_signal(signal.SIGKILL)
        p.wait()
    producer.wait(120)
    assert producer.returncode == 0, f"gen failed ({producer.returncode}); see {work}/gen.log"
    log(f"{a.kills} kills done; final run until the topic is drained")
    alog.write(b"--- final run\n")
    alog.flush()
    rc = subprocess.run(archive + ["--commit-interval", "200ms", "--finish-when-idle", "1s"], stdout=alog, stderr=subprocess.STDOUT,
                        timeout=120).returncode
    if rc != 0:
        log(f"final archive run exited {rc}")
        ok = False

    # The kills must have hit writes in progress, or the test proves little.
    with open(os.path.join(work, "archive.log"), errors="replace") as f:
        recoveries = sum(1 for line in f if " archive: recovered" in line)
    log(f"{recoveries} of {a.kills + 1} starts undid uncommitted writes")
    if recoveries < a.kills // 4:
        log("too few kills interrupted writes")
        ok = False
    if not scraped or "clickagg_archive_events_total" not in scraped or "clickagg_archive_consumer_lag" not in scraped:
        log(f"metrics missing: {scraped!r:.300}")
        ok = False

    records = read_topic(a.brokers, topic, a.partitions)
    log(f"topic holds {len(records)} records")
    assert len(records) == a.events, f"expected {a.events} records in the topic, found {len(records)}"
    expected = {k: expected_event(v) for k, v in records.items()}
    accepted = {k for k, e in expected.items() if e is not None}
    rejected = set(expected) - accepted
    log(f"{len(accepted)} acceptable, {len(rejected)} to reject")
    assert rejected and len(rejected) < len(records) // 20

    seen = {}
    hours = set()
    mismatches = 0
    for rel, rec in avro_dump.read_events(archive_dir):
        key = (rec["kafka_partition"], rec["kafka_offset"])
        seen[key] = seen.get(key, 0) + 1
        t = datetime.datetime.fromtimestamp(rec["event_time_ms"] / 1000, datetime.timezone.utc)
        want_dir = t.strftime("dt=%Y-%m-%d/hour=%H")
        hours.add(want_dir)
        name = avro_dump.NAME.match(os.path.basename(rel))
        if (not rel.startswith(want_dir + "/") or int(name.group(1)) != key[0] or int(name.group(2)) > key[1]):
            log(f"event {key} at {t} is in {rel}")
            ok = False
        want = expected.get(key)
        got = dict(rec, ip=ipaddress.ip_address(rec["ip"]))
        got.pop("kafka_partition"), got.pop("kafka_offset")
        if want is None or got != want:
            mismatches += 1
            if mismatches <= 5:
                log(f"record {key}: archived {got}, expected {want}")
    dups = {k: n for k, n in seen.items() if n > 1}
    missing = accepted - set(seen)
    extra = set(seen) - accepted
    log(f"archive: {sum(seen.values())} events in {len(hours)} hour directories; "
        f"{len(missing)} missing, {len(dups)} duplicated, {len(extra)} not acceptable, {mismatches} field mismatches")
    ok = ok and not missing and not dups and not extra and mismatches == 0
    if len(hours) < 3:
        log(f"expected events in at least 3 hours, got {sorted(hours)}")
        ok = False

    with open(os.path.join(archive_dir, "_archive_state.json")) as f:
        state = json.load(f)
    with open(os.path.join(archive_dir, "_dead_letters.txt"), "rb") as f:
        dead_text = f.read()[:state["dead_letter_bytes"]].decode()
    dead = [tuple(int(x) for x in re.match(r"partition (\d+) offset (\d+): ", line).groups())
            for line in dead_text.splitlines()]
    if sorted(dead) != sorted(rejected):
        log(f"dead letters: {len(dead)} lines ({len(dead) - len(set(dead))} repeated), "
            f"{len(rejected - set(dead))} rejects missing, {len(set(dead) - rejected)} not rejects")
        ok = False
    else:
        log(f"dead letters: the {len(dead)} rejects, each once")
    files = sum(1 for _ in avro_dump.committed_files(archive_dir))
    log(f"{files} data files")

    if ok:
        log("PASS")
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        return 0
    log(f"FAIL (work dir kept: {work})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
