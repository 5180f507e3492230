#!/usr/bin/env python3
"""`clickagg watch` through crashes, log rotation and truncation, with real processes and
the real broker.

A writer process appends generated click lines (and malformed ones) to two log files in
random-sized pieces, so lines are often cut mid-way between writes. It rotates `app.log`
the way loggers and logrotate do (rename, a few more lines into the renamed file, then a
new file under the old name) and truncates `web.log` the copytruncate way (once the
watcher's saved state shows it has everything in it). Meanwhile `clickagg watch` is killed
with SIGKILL and restarted again and again (and stopped once with SIGTERM).

At the end the topic is read back and must hold every valid line at least once, nothing
that was not written, every message keyed by its line's ad_id, and, after removing
repeats, exactly the lines written; the dead-letter file must list exactly the malformed
lines, once each. `clickagg aggregate` over what was written and over what reached the
topic must give identical counts.csv and topn.csv: the engine's de-duplication removes
the lines the watcher sent twice.
"""
import argparse
import collections
import json
import os
import pickle
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import logger, scrape_metrics  # noqa: E402


log = logger("watch-test")


# ---------------------------------------------------------------------------------------
# The writer (a separate process running a plan the driver made)

def saved_offset(state_path, path):
    """The watcher's committed offset for the file now at `path`, or None."""
    try:
        with open(state_path) as f:
            state = json.load(f)
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    for entry in state["files"]:
        if entry["dev"] == st.st_dev and entry["ino"] == st.st_ino:
            return entry["offset"]
    return None


def run_writer(plan_path):
    with open(plan_path, "rb") as f:
        plan = pickle.load(f)
    logs, state = plan["dir"], plan["state"]
    files, old = {}, {}

    def fd(name):
        if name not in files:
            files[name] = open(os.path.join(logs, name), "ab", buffering=0)
        return files[name]

    for op in plan["ops"]:
        kind = op[0]
        if kind == "write":
            fd(op[1]).write(op[2])
        elif kind == "sleep":
            time.sleep(op[1])
        elif kind == "rotate":  # logrotate's default: shift the old ones, rename, create
            name = op[1]
            path = os.path.join(logs, name)
            for i in range(8, 0, -1):
                if os.path.exists(f"{path}.{i}"):
                    os.rename(f"{path}.{i}", f"{path}.{i + 1}")
            os.rename(path, f"{path}.1")
            old[name] = files.pop(name)  # the logger writes on until it reopens
        elif kind == "write_old":
            old[op[1]].write(op[2])
        elif kind == "reopen":
            old.pop(op[1]).close()
            fd(op[1])
        elif kind == "copytruncate":
            # Only what the watcher already has may be cut away: wait until its saved
            # offset reaches the end (the watcher may be down meanwhile).
            name = op[1]
            path = os.path.join(logs, name)
            deadline = time.time() + 90
            while saved_offset(state, path) != os.path.getsize(path):
                if time.time() > deadline:
                    print(f"writer: {name} was never read to its end", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            shutil.copyfile(path, f"{path}.1")
            os.truncate(path, 0)
    for f in list(files.values()) + list(old.values()):
        f.close()
    return 0


# ---------------------------------------------------------------------------------------
# The driver

def malformed_lines(rng, n):
    """Lines the log decoder must reject, each unique, of several kinds."""
    kinds = [
        lambda i: f"garbage line {i}".encode(),
        lambda i: f"[AdClickEvent] ad{i}, 2021-13-01 00:00:00, user {i}, 10.1.2.3, US".encode(),
        lambda i: f"[AdClickEvent] ad{i}, 2021-01-01 00:00:00, user {i}, 999.1.2.3, US".encode(),
        lambda i: f"[AdClickEvent] , 2021-01-01 00:00:00, user {i}, 10.1.2.3, US".encode(),
        lambda i: f"[AdClickEvent] ad{i}, 2021-01-01 00:00:00, user {i}".encode(),
        lambda i: b"[AdClickEvent] ad%d, 2021-01-01 00:00:00, us\xff\xfeer, 10.1.2.3, US" % i,
        lambda i: f"bad\tline\\with escapes {i}".encode(),
        lambda i: (f"[AdClickEvent] ad{i}, 2021-01-01 00:00:00, user " + "x" * 5000 + ", 10.1.2.3, US").encode(),
    ]
    return [kinds[i % len(kinds)](i) for i in range(n)]


def make_plan(rng, app_lines, web_lines, logs, state):
    """Writes of random sizes (cutting lines anywhere) to both files, with three rotations
    of app.log and two copytruncates of web.log, all at line boundaries."""
    def segments(lines, cuts):
        points = sorted(rng.sample(range(1, len(lines)), cuts))
        bounds = [0] + points + [len(lines)]
        return [b"".join(line + b"\n" for line in lines[a:b]) for a, b in zip(bounds, bounds[1:])]

    def pieces(data):
        out, i = [], 0
        while i < len(data):
            n = rng.randint(1, 6000)
            out.append(data[i:i + n])
            i += n
        return out

    app = segments(app_lines, 3)
    web = segments(web_lines, 2)
    # Each file's operations in order; the two streams are interleaved at random.
    streams = {"app.log": [], "web.log": []}
    for k, seg in enumerate(app):
        if k > 0:
            streams["app.log"].append(("rotate", "app.log"))
            # A few lines the logger still writes into the renamed file before reopening.
            tail = seg.split(b"\n")
            late = b"".join(line + b"\n" for line in tail[:5])
            streams["app.log"].append(("write_old", "app.log", late))
            seg = seg[len(late):]
            streams["app.log"].append(("reopen", "app.log"))
        streams["app.log"] += [("write", "app.log", p) for p in pieces(seg)]
    for k, seg in enumerate(web):
        if k > 0:
            streams["web.log"].append(("copytruncate", "web.log"))
        streams["web.log"] += [("write", "web.log", p) for p in pieces(seg)]
    ops, pos = [], {name: 0 for name in streams}
    while any(pos[n] < len(streams[n]) for n in streams):
        name = rng.choice([n for n in streams if pos[n] < len(streams[n])])
        ops.append(streams[name][pos[name]])
        pos[name] += 1
        ops.append(("sleep", rng.uniform(0, 0.05)))
    return {"dir": logs, "state": state, "ops": ops}


class Watcher:
    def __init__(self, argv, workdir):
        self.argv, self.p, self.starts = argv, None, 0
        self.logf = open(os.path.join(workdir, "watch.log"), "ab")

    def start(self):
        self.starts += 1
        self.logf.write(f"--- start {self.starts}\n".encode())
        self.logf.flush()
        self.p = subprocess.Popen(self.argv, stdout=self.logf, stderr=subprocess.STDOUT)

    def kill9(self):
        """SIGKILL; False when the process had already exited by itself (a failure)."""
        if self.p.poll() is not None:
            return False
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        return True

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(60)


def unescape(field):
    """Inverse of the dead-letter escaping (\\\\, \\t, \\n, \\r, \\xNN)."""
    out, i = bytearray(), 0
    while i < len(field):
        c = field[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        nxt = field[i + 1]
        if nxt == "x":
            out.append(int(field[i + 2:i + 4], 16))
            i += 4
        else:
            out += {"\\": b"\\", "t": b"\t", "n": b"\n", "r": b"\r"}[nxt]
            i += 2
    return bytes(out)


def ad_id_of(line):
    return line.split(b",", 1)[0][len(b"[AdClickEvent]"):].strip()


def caught_up(logs, state_path):
    """The saved state covers both live files to their ends and no rotated file is left."""
    try:
        with open(state_path) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return False
    live = {}
    for name in ("app.log", "web.log"):
        st = os.stat(os.path.join(logs, name))
        live[(st.st_dev, st.st_ino)] = st.st_size
    entries = {(e["dev"], e["ino"]): e["offset"] for e in state["files"]}
    return entries == live


def wait_ready(port, need="clickagg_watch_files_tracked", timeout=30):
    """/metrics once it shows `need`: the watcher handles stop signals by then, and has
    finished a step once the per-file series appear."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = scrape_metrics(port, tries=1)
        if text and need in text:
            return text
        time.sleep(0.05)
    return None


def aggregate(clickagg, records, out):
    subprocess.run([clickagg, "aggregate", "--input", records, "--format", "log", "--engine", "cpu",
                    "--topn-windows", "1,5", "--top", "20", "--out", out], check=True, capture_output=True)
    with open(os.path.join(out, "counts.csv")) as f:
        counts = f.read()
    with open(os.path.join(out, "topn.csv")) as f:
        topn = f.read()
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    return counts, topn, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--writer", help=argparse.SUPPRESS)  # internal: run a writer plan
    ap.add_argument("--clickagg")
    ap.add_argument("--dump")
    ap.add_argument("--source-dir")
    ap.add_argument("--brokers", default=os.environ.get("CLICKAGG_KAFKA_BROKERS", "127.0.0.1:19092"))
    ap.add_argument("--lines", type=int, default=30000)
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("CLICKAGG_TEST_SEED", "5")))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if a.writer:
        return run_writer(a.writer)

    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="clickagg-watch-")
    logs = os.path.join(work, "logs")
    os.makedirs(logs)
    state = os.path.join(work, "watch-state.json")
    dead = os.path.join(work, "dead-letter.tsv")
    topic = f"watch-{os.getpid()}-{a.seed}"
    port = a.brokers.rsplit(":", 1)[1]
    kafka = os.path.join(a.source_dir, "scripts", "kafka")
    log(f"work dir {work}, topic {topic}, seed {a.seed}")
    subprocess.run([os.path.join(kafka, "topic.sh"), "create", topic, "--partitions", "4", "--port", port],
                   check=True, capture_output=True)

    gen_out = os.path.join(work, "gen.log")
    subprocess.run([a.clickagg, "gen", "--seed", str(a.seed), "--count", str(a.lines), "--format", "log",
                    "--ads", "400", "--events-per-second", "1000", "--out-of-order", "0.05", "--late", "0",
                    "--very-late", "0", "--duplicates", "0", "--malformed", "0", "--out", gen_out], check=True)
    with open(gen_out, "rb") as f:
        valid = f.read().splitlines()
    assert len(set(valid)) == len(valid), "generated lines are not unique"
    bad = malformed_lines(rng, a.lines // 100)
    everything = valid + bad
    rng.shuffle(everything)
    split = int(len(everything) * 0.65)
    app_lines, web_lines = everything[:split], everything[split:]
    with open(os.path.join(work, "written.log"), "wb") as f:  # the batch reference input
        f.write(b"".join(line + b"\n" for line in everything))

    plan = make_plan(rng, app_lines, web_lines, logs, state)
    plan_path = os.path.join(work, "plan.pickle")
    with open(plan_path, "wb") as f:
        pickle.dump(plan, f)

    with socket.socket() as sock:  # a port nothing else holds (the broker's included)
        sock.bind(("127.0.0.1", 0))
        metrics_port = sock.getsockname()[1]
    watch = Watcher([a.clickagg, "watch", "--glob", os.path.join(logs, "*.log"), "--brokers", a.brokers,
                     "--topic", topic, "--state", state, "--dead-letter", dead, "--format", "log",
                     "--batch-size", "100", "--poll-interval", "100ms", "--rotate-wait", "1s",
                     "--metrics-listen", f"127.0.0.1:{metrics_port}"], work)
    watch.start()
    writer = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--writer", plan_path])

    kills, term_done, metrics = 0, False, None
    deadline = time.time() + 120
    while (kills < a.kills or writer.poll() is None) and time.time() < deadline:
        # Half the kills land early in a run, while the backlog that built up during the
        # downtime is being sent (batches in flight); the rest at any time.
        time.sleep(rng.uniform(0.05, 0.4) if rng.random() < 0.5 else rng.uniform(0.4, 1.6))
        if metrics is None:
            text = scrape_metrics(metrics_port, tries=1)
            metrics = text if text and "clickagg_watch_offset_lag_bytes{file=" in text else None
        if not term_done and kills == a.kills // 2:
            wait_ready(metrics_port)
            rc = watch.stop()  # a clean stop in between: flush, save, exit 0
            log(f"SIGTERM: watch exited {rc}")
            if rc != 0:
                log("watch did not stop cleanly")
                return 1
            term_done = True
        else:
            if not watch.kill9():
                log(f"watch exited by itself with {watch.p.returncode} (see watch.log)")
                return 1
            kills += 1
            log(f"kill -9 watch (#{kills})")
        time.sleep(rng.uniform(0.1, 0.8))
        watch.start()
    if writer.wait(60) != 0:
        log("the writer failed")
        return 1
    log(f"writer done after {kills} kills; waiting for the watcher to catch up")
    deadline = time.time() + 60
    while not caught_up(logs, state):
        if time.time() > deadline:
            log("the watcher never caught up")
            return 1
        time.sleep(0.2)
    final_metrics = wait_ready(metrics_port, need="clickagg_watch_files_tracked 2\n")
    rc = watch.stop()
    if rc != 0:
        log(f"watch exited {rc} on SIGTERM")
        return 1

    dump = os.path.join(work, "topic.jsonl")
    subprocess.run([a.dump, "--brokers", a.brokers, "--topic", topic, "--out", dump], check=True)
    with open(dump, encoding="utf-8") as f:
        messages = [json.loads(line) for line in f]
    got = [m["value"].encode() for m in messages]

    ok = True
    written = collections.Counter(valid)
    consumed = collections.Counter(got)
    missing = [line for line in written if line not in consumed]
    foreign = [line for line in consumed if line not in written]
    repeats = sum(consumed.values()) - len(consumed)
    log(f"{len(valid)} valid lines written, {len(got)} messages read back ({repeats} repeats)")
    if missing or foreign:
        log(f"{len(missing)} lines missing, {len(foreign)} messages never written")
        for line in (missing[:3] + foreign[:3]):
            log(f"  {line[:120]!r}")
        ok = False
    if set(consumed) != set(written):
        ok = False
    wrong_keys = [m for m in messages if m["key"].encode() != ad_id_of(m["value"].encode())]
    if wrong_keys:
        log(f"{len(wrong_keys)} messages not keyed by their ad_id, e.g. {wrong_keys[0]}")
        ok = False

    with open(dead, encoding="ascii") as f:
        entries = [line.rstrip("\n").split("\t") for line in f]
    rejected = [unescape(e[3]) for e in entries]
    expected_rejects = [(line if len(line) <= 65536 else line[:65536]) for line in bad]
    if sorted(rejected) != sorted(expected_rejects):
        extra = collections.Counter(rejected) - collections.Counter(expected_rejects)
        lacking = collections.Counter(expected_rejects) - collections.Counter(rejected)
        log(f"dead letters differ: {sum(extra.values())} unexpected, {sum(lacking.values())} missing")
        for line in list(extra)[:3] + list(lacking)[:3]:
            log(f"  {line[:120]!r}")
        ok = False
    else:
        log(f"dead-letter file lists the {len(bad)} malformed lines once each")
    # The file is named as the watcher last saw it: app.log.N when it was found rotated.
    if any(not re.fullmatch(r"(app|web)\.log(\.\d+)?", os.path.basename(e[0])) or not e[1].isdigit()
           for e in entries):
        log("dead-letter entries lack their file or offset")
        ok = False

    consumed_path = os.path.join(work, "consumed.log")
    with open(consumed_path, "wb") as f:
        f.write(b"".join(line + b"\n" for line in got))
    ref_counts, ref_topn, ref_summary = aggregate(a.clickagg, os.path.join(work, "written.log"),
                                                   os.path.join(work, "ref"))
    got_counts, got_topn, got_summary = aggregate(a.clickagg, consumed_path, os.path.join(work, "got"))
    if ref_counts != got_counts or ref_topn != got_topn:
        log("aggregate over the topic differs from aggregate over the written lines")
        ok = False
    else:
        log(f"counts.csv and topn.csv identical ({ref_counts.count(chr(10)) - 1} count rows); "
            f"engine duplicates {got_summary['duplicates']} (repeats sent), rejected {got_summary['rejected']}")
    if got_summary["duplicates"] != repeats + ref_summary["duplicates"] or got_summary["rejected"] != 0 or ref_summary["rejected"] != len(bad):
        log(f"summaries: written {ref_summary}, consumed {got_summary}")
        ok = False

    needed = ["clickagg_watch_lines_sent_total", "clickagg_watch_bytes_sent_total", "clickagg_watch_rejected_total",
              "clickagg_watch_files_tracked", "clickagg_watch_produce_errors_total",
              "clickagg_watch_offset_lag_bytes{file="]
    for text in (metrics, final_metrics):
        if not text or any(n not in text for n in needed):
            log(f"/metrics lacks the watcher's series:\n{text}")
            ok = False
    if final_metrics and "clickagg_watch_files_tracked 2\n" not in final_metrics:
        log("the rotated files were not let go")
        ok = False
    if kills < a.kills:
        log(f"only {kills} kills before the end (wanted {a.kills})")
        ok = False

    subprocess.run([os.path.join(kafka, "topic.sh"), "delete", topic, "--port", port], capture_output=True)
    if ok and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
