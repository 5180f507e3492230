#!/usr/bin/env python3
"""The aggregator's /healthz and lag tell the truth, with real processes and the real broker.

1. No broker answers (a port nobody listens on): /healthz answers 503 with the reason once
   --health-grace has passed, the lag gauge reads NaN (unknown) rather than 0, and the process
   exits 1 within --kafka-timeout, naming the brokers.
2. Two members of one group on a one-partition topic: the member that owns the partition is
   healthy and reports a lag figure; the other answers 503 "no partition assigned".
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from itest import kafka_args, logger, scrape_metrics, topic  # noqa: E402

log = logger("health-test")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port):
    """(status, body) of /healthz; None while the endpoint is not up."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except OSError:
        return None


def wait_health(port, want_status, deadline_s):
    end = time.time() + deadline_s
    last = None
    while time.time() < end:
        last = healthz(port)
        if last and last[0] == want_status:
            return last
        time.sleep(0.2)
    return last


def lag_total(port):
    text = scrape_metrics(port) or ""
    for line in text.splitlines():
        if line.startswith("clickagg_aggregator_consumer_lag_total "):
            return line.split()[1]
    return None


def aggregator(exe, brokers, name, work, member, metrics_port, extra=()):
    return subprocess.Popen(
        [exe, "aggregator", "--brokers", brokers, "--topic", name, "--group", name, "--format", "log",
         "--state-dir", os.path.join(work, "state"), "--sink", f"tcp://127.0.0.1:{free_port()}",
         "--engine", "cpu", "--member-id", member, "--metrics-listen", f"127.0.0.1:{metrics_port}",
         "--health-grace", "1s"] + list(extra),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def main():
    a = kafka_args(__doc__)
    exe = a.clickagg
    work = tempfile.mkdtemp(prefix="clickagg-health-")
    ok = True

    def check(cond, what):
        nonlocal ok
        log(("ok: " if cond else "FAILED: ") + what)
        ok &= bool(cond)

    # 1. Nobody answers.
    dead = f"127.0.0.1:{free_port()}"
    port = free_port()
    t0 = time.time()
    p = aggregator(exe, dead, "nobody", work + "/dead", "lonely", port, ["--kafka-timeout", "8s"])
    h = wait_health(port, 503, 6)
    check(h and h[0] == 503 and "no Kafka broker has answered" in h[1].get("reason", ""),
          f"503 with the reason while no broker answers: {h}")
    check(lag_total(port) == "NaN", f"lag unknown (NaN), not 0: {lag_total(port)}")
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    took = time.time() - t0
    last = err.strip().splitlines()[-1] if err.strip() else ""
    check(p.returncode == 1 and f"no Kafka broker at {dead} has answered" in last and took < 20,
          f"exit {p.returncode} after {took:.1f} s: {last}")

    # 2. One partition, two members.
    name = f"health-{os.getpid()}"
    topic(a, "create", name, partitions=1)
    subprocess.run([exe, "gen", "--seed", "9", "--count", "2000", "--format", "log", "--kafka", a.brokers,
                    "--topic", name], check=True)
    ports = [free_port(), free_port()]
    procs = [aggregator(exe, a.brokers, name, work, f"member-{i}", ports[i]) for i in range(2)]
    try:
        end = time.time() + 60
        states = None
        # Wait for the steady state: a member may also answer 503 for a moment while its first
        # broker answer is slow (a loaded machine), which is not the state checked here.
        def settled(st):
            return (all(st) and sorted(x[0] for x in st) == [200, 503]
                    and all("no partition assigned" in x[1].get("reason", "") for x in st if x[0] == 503))
        while time.time() < end:
            states = [healthz(pt) for pt in ports]
            if settled(states):
                break
            time.sleep(0.3)
        check(states and all(states) and sorted(s[0] for s in states) == [200, 503],
              f"one member healthy, the other not: {states}")
        if states and all(states):
            idle = [s for s in states if s[0] == 503]
            check(idle and "no partition assigned" in idle[0][1].get("reason", ""), f"the idle member's reason: {idle}")
            owner = ports[[s[0] for s in states].index(200)] if 200 in [s[0] for s in states] else None
            if owner:
                lag = None
                for _ in range(50):  # the lag is known once the owner has fetched from the partition
                    lag = lag_total(owner)
                    if lag not in (None, "NaN"):
                        break
                    time.sleep(0.2)
                check(lag not in (None, "NaN") and float(lag) >= 0, f"the owner reports its lag: {lag}")
    finally:
        for q in procs:
            q.terminate()
        for q in procs:
            try:
                q.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                q.kill()
        topic(a, "delete", name)

    if ok:
        shutil.rmtree(work, ignore_errors=True)
        log("PASS")
    else:
        log(f"FAIL (work dir kept: {work})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
