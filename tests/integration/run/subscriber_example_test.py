#!/usr/bin/env python3
"""The Python subscriber of docs/wire-format.md (docs/examples/subscriber.py) against the real
publisher and against partition shares:

1. the document quotes the example file verbatim;
2. the example subscribes to `clickagg run --pub`, a bounded generated stream; its merged
   per-minute counts, top-N lists and counters must equal what run's SQLite database holds, and
   it must report no gap in seq. `run` has a single partition task, so each of its results is
   the only share (marked partition 0): this exercises decoding, replacement by corrections and
   the order of lists, not the combining of partitions. PUB drops what it sends before the
   subscriber has joined, so the run is repeated (up to 3 times) when the example's first
   line shows that a window had already been sent;
3. this driver publishes the database's contents again as three partitions' shares (their ads
   split by hash, some ads' counts split over two partitions; partial top-N lists computed
   from the counts; earlier, superseded shares first; one minute as a result without a
   partition; a version-2 envelope; one seq skipped on purpose); the example's merged results must
   again equal the database, and it must report exactly that gap.

Skips (exit code 77) when Python's zmq or protobuf module is missing (Debian: python3-zmq,
python3-protobuf).
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import logger, read_sqlite_results, verdict  # noqa: E402

log = logger("subscriber-example")
SKIP = 77
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
EXAMPLE = os.path.join(ROOT, "docs", "examples", "subscriber.py")
DOC = os.path.join(ROOT, "docs", "wire-format.md")
PROTO = os.path.join(ROOT, "host", "emit", "wire", "clickagg_results.proto")
COUNTERS = ("events", "counted", "late_counted", "duplicates", "dropped_late", "rejected",
            "windows_closed", "corrections")
PARTS = 3


def doc_quotes_example():
    """The Python block of the section "Decoding in Python" equals the example file."""
    with open(DOC) as f:
        doc = f.read()
    with open(EXAMPLE) as f:
        example = f.read()
    section = doc.split("## Decoding in Python", 1)[-1]
    m = re.search(r"^```python\n(.*?)^```$", section, re.S | re.M)
    ok = m is not None and m.group(1) == example
    log(f"wire-format.md quotes {os.path.relpath(EXAMPLE, ROOT)}: {'verbatim' if ok else 'NOT VERBATIM'}")
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_example(work, name, endpoint, exit_after):
    out = open(os.path.join(work, f"{name}.jsonl"), "w")
    err = open(os.path.join(work, f"{name}.err"), "w")
    env = dict(os.environ, PYTHONPATH=os.path.join(work, "pb"))
    return subprocess.Popen([sys.executable, EXAMPLE, "--connect", endpoint, "--json",
                             "--exit-after", str(exit_after)], stdout=out, stderr=err, env=env)


def example_output(work, name):
    """The example's last merged result per key, and its stderr lines."""
    counts, topn, progress = {}, {}, None
    with open(os.path.join(work, f"{name}.jsonl")) as f:
        for line in f:
            o = json.loads(line)
            if o["kind"] == "counts":
                counts[o["minute"]] = [tuple(r) for r in o["rows"]]
            elif o["kind"] == "topn":
                topn[(o["minute"], o["window"], o["filter"])] = [tuple(e) for e in o["entries"]]
            elif o["kind"] == "progress":
                progress = {k: v for k, v in o.items() if k != "kind"}
    with open(os.path.join(work, f"{name}.err")) as f:
        return counts, topn, progress, f.read().splitlines()



def compare(what, expected, got):
    missing = sorted(k for k in expected if k not in got)
    extra = sorted(k for k in got if k not in expected)
    wrong = sorted(k for k in expected if k in got and expected[k] != got[k])
    if missing or extra or wrong:
        log(f"{what}: {len(missing)} missing, {len(extra)} extra, {len(wrong)} different of {len(expected)}")
        for k in missing[:3] + extra[:3] + wrong[:3]:
            log(f"  {k}: database {str(expected.get(k))[:300]}; example {str(got.get(k))[:300]}")
        return False
    log(f"{what}: {len(expected)} identical")
    return True


def check_against_db(work, name, db, gaps_wanted):
    r = read_sqlite_results(db)
    counts, lists, meta = r.counts, r.lists, r.meta
    got_counts, got_lists, got_progress, err = example_output(work, name)
    ok = compare(f"{name}: per-minute counts", counts, got_counts)
    ok &= compare(f"{name}: top-N lists", lists, got_lists)
    want_progress = {c: meta.get(c, 0) for c in COUNTERS}
    if "consumer_lag" in meta:
        want_progress["consumer_lag"] = meta["consumer_lag"]
    if got_progress != want_progress:
        log(f"{name}: counters DIFFERENT: database {want_progress}, example {got_progress}")
        ok = False
    else:
        log(f"{name}: counters identical ({want_progress['counted']} counted, "
            f"{want_progress['corrections']} corrections)")
    if err != gaps_wanted:
        log(f"{name}: the example's stderr: {err[:10]}; wanted {gaps_wanted}")
        ok = False
    if not counts or not lists:
        log(f"{name}: the database holds no results")
        ok = False
    return ok


def joined_before_results(work, name):
    """True when the example's first line is run's counters with no window sent yet: then it
    missed no window or list (PUB drops what is sent before a subscriber has joined; seq 1,
    a Progress, usually goes that way)."""
    with open(os.path.join(work, f"{name}.jsonl")) as f:
        first = json.loads(f.readline() or "{}")
    return first.get("kind") == "progress" and first["windows_closed"] == 0 and first["corrections"] == 0


def from_run(a, work, exe, attempt):
    """The example subscribed to `clickagg run --pub`. Returns the database, and whether the
    example printed what it holds; None instead of that when the example joined too late."""
    name = f"from-run-{attempt}"
    port = free_port()
    db = os.path.join(work, f"run-{attempt}.db")
    sub = start_example(work, name, f"tcp://127.0.0.1:{port}", 3)
    time.sleep(0.5)  # subscriber first: it connects (and retries) until run binds
    # Event time 30x the wall clock (a minute every 2 s), from the middle of a minute so that
    # the first window closes 2 s in. Late events only reach windows closed less than 10 s
    # ago (more are dropped): with the default lateness, the first round would already count
    # late events into minutes before the start and send them before the example has joined.
    rate = 15000
    argv = [exe, "run", "--db", db, "--listen", "127.0.0.1:0", "--pub", f"tcp://127.0.0.1:{port}",
            "--count", str(a.records), "--rate", str(rate), "--events-per-second", str(rate // 30),
            "--start", "2021-01-01T00:00:30Z", "--seed", str(a.seed), "--batch-interval", "100ms",
            "--progress-interval", "0", "--engine", "cpu", "--topn-windows", "1,3", "--top", "10",
            "--ads", "400", "--users", "4000", "--late", "0.02", "--allowed-lateness", "10s",
            "--duplicates", "0.01"]
    started = time.monotonic()
    with open(os.path.join(work, f"run-{attempt}.log"), "w") as out:
        rc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=120).returncode
    log(f"clickagg run: exit {rc} after {time.monotonic() - started:.1f} s")
    try:
        sub.wait(30)
    except subprocess.TimeoutExpired:
        sub.kill()
        log("the example did not exit after the run ended")
        return db, False
    if rc != 0 or sub.returncode != 0:
        log(f"run exited with {rc}, the example with {sub.returncode}: see {work}")
        return db, False
    if not joined_before_results(work, name):
        log("the example joined after the first window was sent")
        return db, None
    return db, check_against_db(work, name, db, [])


def partial_lists(counts, m, w, f, n):
    """Each partition's top n of (minute m, window w, filter f), computed from the counts."""
    totals = {}
    for minute in range(m - w + 1, m + 1):
        for ad, fid, c in counts.get(minute, []):
            if fid == f:
                totals[ad] = totals.get(ad, 0) + c
    parts = [[] for _ in range(PARTS)]
    for ad, c in totals.items():
        if c:
            parts[part_of(ad)].append((ad, c))
    return [sorted(p, key=lambda e: (-e[1], e[0].encode()))[:n] for p in parts]


def part_of(ad):
    return zlib.crc32(ad.encode()) % PARTS


def count_share(rows, p):
    """Partition p's rows of a minute: the rows of its ads, except that every fourth ad's count is
    split with the next partition. A topic keyed by ad_id never does that, but "per ad, the sum"
    is the rule, and without it taking any share's row would pass for merging."""
    share = []
    for ad, f, c in rows:
        split = c >= 2 and zlib.crc32(ad.encode()) % 4 == 0
        if part_of(ad) == p:
            share.append((ad, f, c - c // 2 if split else c))
        elif split and (part_of(ad) + 1) % PARTS == p:
            share.append((ad, f, c // 2))
    return share


def from_partitions(work, db):
    """The database's contents published again as PARTS partitions' shares."""
    import zmq
    sys.path.insert(0, os.path.join(work, "pb"))
    import clickagg_results_pb2 as wire
    r = read_sqlite_results(db)
    counts, lists, top_n, meta = r.counts, r.lists, r.top_n, r.meta
    minutes = sorted(counts)

    pub = zmq.Context.instance().socket(zmq.XPUB)
    pub.sndhwm = 0  # keep everything: this driver publishes in one burst
    pub.linger = 5000
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    sub = start_example(work, "from-partitions", f"tcp://127.0.0.1:{port}", 2)
    if not pub.poll(15000):
        log("the example never subscribed")
        sub.kill()
        return False
    pub.recv()  # its subscription: it is connected

    seq = [0] * PARTS
    skipped = []

    def send(part, fill, version=1):
        env = wire.Envelope(version=version, producer=f"grp/clicks/{part}")
        if version != 1:  # not a message of this producer's version-1 sequence
            env.seq = 1
            fill(env)
            return pub.send_multipart([b"counts.", env.SerializeToString()])
        seq[part] += 1
        if part == 2 and seq[part] == 5:  # lost on purpose: the example must report it
            skipped.append(seq[part])
            seq[part] += 1
        env.seq = seq[part]
        fill(env)
        topic = {"window": b"counts.", "topn": b"topn.", "progress": b"progress"}[env.WhichOneof("body")]
        pub.send_multipart([topic, env.SerializeToString()])

    def window(minute, rows, part=None):
        def fill(env):
            env.window.minute, env.window.minute_label = minute, 0
            if part is not None:
                env.window.partition = part
            for ad, f, c in rows:
                env.window.rows.add(ad_id=ad, filter_id=f, count=c)
        return fill

    def topn(key, entries, n, part):
        def fill(env):
            t = env.topn
            t.minute, t.window, t.filter_id, t.partition, t.top_n = key[0], key[1], key[2], part, n
            for ad, c in entries:
                t.entries.add(ad_id=ad, count=c)
        return fill

    def progress(values, part):
        def fill(env):
            for k, v in values.items():
                setattr(env.progress, k, v)
            env.progress.partition = part
        return fill

    # The first minute as one result without a partition (it covers every partition), after
    # a stale share of partition 0; the other minutes as shares, partition 0's after a stale one.
    send(0, window(minutes[0], [("stale-ad", 0, 5)], part=0))
    send(0, window(minutes[0], counts[minutes[0]]))
    for m in minutes[1:]:
        send(0, window(m, [(ad, f, c + 7) for ad, f, c in counts[m]] + [("stale-ad", 0, 9)], part=0))
        for p in range(PARTS):
            send(p, window(m, count_share(counts[m], p), part=p))
    # A version-2 envelope: a reader of version 1 must skip it.
    send(1, window(minutes[-1], [("v2-ad", 0, 10 ** 9)]), version=2)
    for key, n in sorted(top_n.items()):
        parts = partial_lists(counts, *key, n)
        send(1, topn(key, [("stale-ad", 10 ** 9)] + parts[1][:-1], n, 1))
        for p in range(PARTS):
            send(p, topn(key, parts[p], n, p))
    # Counters split over the partitions, each after a stale (lower) value of its own.
    want = {c: meta.get(c, 0) for c in COUNTERS}
    if "consumer_lag" in meta:
        want["consumer_lag"] = meta["consumer_lag"]
    for p in range(PARTS):
        share = {k: v // PARTS + (v % PARTS if p == 0 else 0) for k, v in want.items()}
        send(p, progress({k: max(0, v - 3) for k, v in share.items()}, p))
        send(p, progress(share, p))
    try:
        sub.wait(30)
    except subprocess.TimeoutExpired:
        sub.kill()
        log("the example did not exit")
        return False
    pub.close()
    gap = [f"grp/clicks/2: lost seq {s}..{s}" for s in skipped]
    return sub.returncode == 0 and check_against_db(work, "from-partitions", db, gap)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--records", type=int, default=120000)  # 4 event minutes, 8 s at 15000/s
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CLICKAGG_TEST_SEED", "31")))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    try:
        import zmq  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError as e:
        print(f"SKIP: the subscriber example needs Python's zmq and protobuf modules ({e}); "
              f"on Debian: apt-get install python3-zmq python3-protobuf", flush=True)
        return SKIP
    exe = os.path.abspath(a.clickagg)
    work = tempfile.mkdtemp(prefix="clickagg-subscriber-")
    log(f"work dir {work}, seed {a.seed}")
    os.makedirs(os.path.join(work, "pb"))
    subprocess.run([shutil.which("protoc") or "protoc", f"--python_out={os.path.join(work, 'pb')}",
                    "-I", os.path.dirname(PROTO), PROTO], check=True)
    ok = doc_quotes_example()
    for attempt in range(1, 4):
        db, run_ok = from_run(a, work, exe, attempt)
        if run_ok is not None:
            break
    ok &= bool(run_ok)
    ok = (from_partitions(work, db) if os.path.exists(db) else False) and ok
    return verdict(ok, work, a.keep)


if __name__ == "__main__":
    sys.exit(main())
