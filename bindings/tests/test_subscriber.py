"""clickagg.Subscriber: merging partition shares (hand-built envelopes from a PUB socket in the
test), CURVE, and end to end against `clickagg run --pub` and its SQLite database.

    PYTHONPATH=build/bindings /usr/bin/python3 -m pytest -q bindings/tests/test_subscriber.py

The binary is $CLICKAGG_EXE (default build/host/cli/clickagg). Skips when pyzmq, the native
module, protoc or the protobuf runtime (for the hand-built envelopes), or the binary is missing.
"""
import dataclasses
import importlib
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

zmq = pytest.importorskip("zmq", reason="the subscriber needs pyzmq (Debian: python3-zmq)")
clickagg = pytest.importorskip("clickagg", reason="the clickagg package (PYTHONPATH=build/bindings) is not built")
from clickagg.subscriber import (Counts, Gap, Late, Progress, Reject, Subscriber, TopN,  # noqa: E402
                                 UnknownVersion)

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "common"))
from itest import read_sqlite_results  # noqa: E402
PROTO_DIR = os.path.join(ROOT, "host", "emit", "wire")
EXE = os.environ.get("CLICKAGG_EXE", os.path.join(ROOT, "build", "host", "cli", "clickagg"))
COUNTERS = ("events", "counted", "late_counted", "duplicates", "dropped_late", "rejected",
            "windows_closed", "corrections")
P0, P1, P2 = "grp/clicks/0", "grp/clicks/1", "grp/clicks/2"


def test_counters_are_one_list():
    # The wire's counters, the native module's list and the Progress dataclass agree.
    from clickagg import _native
    assert _native.COUNTERS == COUNTERS
    assert tuple(f.name for f in dataclasses.fields(Progress))[:len(COUNTERS)] == COUNTERS


@pytest.fixture(scope="module")
def wire(tmp_path_factory):
    """The protoc-generated classes of host/emit/wire/clickagg_results.proto."""
    pytest.importorskip("google.protobuf", reason="the protobuf runtime is missing (Debian: python3-protobuf)")
    protoc = shutil.which("protoc")
    if not protoc:
        pytest.skip("protoc is missing (Debian: protobuf-compiler)")
    out = tmp_path_factory.mktemp("pb")
    subprocess.run([protoc, f"--python_out={out}", "-I", PROTO_DIR,
                    os.path.join(PROTO_DIR, "clickagg_results.proto")], check=True)
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("clickagg_results_pb2")
    finally:
        sys.path.remove(str(out))


@pytest.fixture
def xpub():
    """An XPUB socket (it reports subscriptions, so the test knows when the subscriber has joined)
    and its endpoint."""
    pub = zmq.Context.instance().socket(zmq.XPUB)
    pub.linger = 0
    pub.sndhwm = 0
    pub.xpub_verbose = True
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    yield pub, f"tcp://127.0.0.1:{port}"
    pub.close()


def joined(pub):
    """Waits for a subscription (XPUB_VERBOSE: even one that another subscriber made before)."""
    while True:
        assert pub.poll(10000), "the subscriber never subscribed"
        if pub.recv().startswith(b"\x01"):  # not an unsubscription
            return


def drain(sub, quiet=0.5):
    """Every record until `quiet` seconds pass without one."""
    records = []
    while (rec := sub.next(timeout=quiet)) is not None:
        records.append(rec)
    return records


def test_merges_partition_shares(wire, xpub):
    pub, endpoint = xpub

    def send(producer, seq, version=1, topic=b"counts.", **body):
        env = wire.Envelope(version=version, producer=producer, seq=seq, **body)
        pub.send_multipart([topic, env.SerializeToString()])

    def window(minute, rows, partition=None, correction=False):
        part = {} if partition is None else {"partition": partition}
        return wire.WindowCounts(minute=minute, minute_label=0, correction=correction, **part,
                                 rows=[wire.CountRow(ad_id=a, filter_id=f, count=c) for a, f, c in rows])

    def topn(entries, partition, minute=100, window=1, filter_id=0, top_n=2):
        return wire.TopNList(minute=minute, window=window, filter_id=filter_id, partition=partition, top_n=top_n,
                             entries=[wire.TopNEntry(ad_id=a, count=c) for a, c in entries])

    with Subscriber(endpoint, topics=("",)) as sub:
        joined(pub)
        # Minute 100: partition 0's share, then 1's (ad "a" in both: per ad, the sum), then 0's
        # correction replaces its first (stale) share.
        send(P0, 1, window=window(100, [("a", 0, 5), ("stale", 0, 9)], 0))
        send(P1, 1, window=window(100, [("b", 0, 3), ("a", 0, 1)], 1))
        send(P0, 2, window=window(100, [("a", 0, 7), ("a", 1, 2)], 0, correction=True))
        send(P2, 1, window=window(101, [("c", 0, 4)], 2))
        send(P1, 2, window=window(101, [("c", 0, 1), ("b", 0, 2)], 1))
        send(P2, 3, window=window(100, [("c", 0, 7)], 2))  # seq 2 lost
        # Minute 102: a share, then a result without partition that covers (and replaces) all.
        send(P0, 3, window=window(102, [("a", 0, 50)], 0))
        send("replay", 1, window=window(102, [("a", 0, 10), ("b", 0, 20)]))
        send(P1, 1, version=2, window=window(100, [("v2", 0, 10 ** 9)]))  # another format: skipped
        send(P1, 3, window=window(100, [("b", 0, 4)], 1))  # replaces 1's share: "a" loses its 1
        # Top-N of (100, 1, 0), cut at 2: partition 0's stale list, then the partial lists.
        send(P0, 4, topic=b"topn.1.0", topn=topn([("stale", 1000)], 0))
        send(P0, 5, topic=b"topn.1.0", topn=topn([("d", 6), ("x", 1)], 0))
        send(P1, 4, topic=b"topn.1.0", topn=topn([("b", 3)], 1))
        send(P2, 4, topic=b"topn.1.0", topn=topn([("c", 7), ("a", 6)], 2))  # "a" before "d": same count
        send(P0, 6, topic=b"progress", progress=wire.Progress(events=10, counted=8, windows_closed=1,
                                                              consumer_lag=5, watermark_ms=6000, partition=0))
        send(P1, 5, topic=b"progress", progress=wire.Progress(events=7, counted=7, corrections=1,
                                                              watermark_ms=5000, partition=1))
        send(P0, 7, topic=b"progress", progress=wire.Progress(events=20, counted=18, windows_closed=2,
                                                              consumer_lag=2, watermark_ms=9000, partition=0))
        send(P1, 6, topic=b"late.1", late=wire.LateEvent(partition=1, offset=42, ad_id="z", event_time_ms=1,
                                                         watermark_ms=5000))
        send(P2, 5, topic=b"reject.2", reject=wire.Reject(partition=2, offset=7, reason="bad", record=b"\0junk"))
        pub.send_multipart([b"counts.", b"\xff\xff\xff"])  # not an envelope
        pub.send_multipart([b"counts.", b""])  # protobuf, but no version: not an envelope either
        pub.send(b"progress")  # one frame
        send(P0, 8)  # a body this reader does not know: skipped, but its seq counts
        send(P0, 9, window=window(101, [], 0))
        records = drain(sub)
        sub.forget(101)  # minute 100 starts again from scratch
        send(P0, 10, window=window(100, [("q", 0, 1)], 0))
        records += drain(sub)
        skipped = sub.skipped

    a, b, c, q, x, z = b"a", b"b", b"c", b"q", b"x", b"z"
    assert records == [
        Counts(100, False, {(a, 0): 5, (b"stale", 0): 9}, {0}),
        Counts(100, False, {(a, 0): 6, (b"stale", 0): 9, (b, 0): 3}, {0, 1}),
        Counts(100, True, {(a, 0): 8, (a, 1): 2, (b, 0): 3}, {0, 1}),
        Counts(101, False, {(c, 0): 4}, {2}),
        Counts(101, False, {(c, 0): 5, (b, 0): 2}, {1, 2}),
        Gap(P2, 2, 3),
        Counts(100, False, {(a, 0): 8, (a, 1): 2, (b, 0): 3, (c, 0): 7}, {0, 1, 2}),
        Counts(102, False, {(a, 0): 50}, {0}),
        Counts(102, False, {(a, 0): 10, (b, 0): 20}, {None}),
        UnknownVersion("counts.", 2),
        Counts(100, False, {(a, 0): 7, (a, 1): 2, (b, 0): 4, (c, 0): 7}, {0, 1, 2}),
        TopN(100, 1, 0, [(b"stale", 1000)], False, {0}),
        TopN(100, 1, 0, [(b"d", 6), (x, 1)], False, {0}),
        TopN(100, 1, 0, [(b"d", 6), (b, 3)], False, {0, 1}),
        TopN(100, 1, 0, [(c, 7), (a, 6)], False, {0, 1, 2}),
        Progress(10, 8, 0, 0, 0, 0, 1, 0, 5, 6000, {0}),
        Progress(17, 15, 0, 0, 0, 0, 1, 1, 5, 5000, {0, 1}),
        Progress(27, 25, 0, 0, 0, 0, 2, 1, 2, 5000, {0, 1}),
        Late(1, 42, z, 1, 5000),
        Reject(2, 7, "bad", b"\0junk"),
        Counts(101, False, {(c, 0): 5, (b, 0): 2}, {0, 1, 2}),
        Counts(100, False, {(q, 0): 1}, {0}),
    ]
    assert skipped == 5  # the version-2 envelope, the two not envelopes, the one frame, the unknown body


def test_gaps_need_every_topic(wire, xpub):
    """Subscribed to some topics only, a producer's seq skips the others' messages: no Gap."""
    pub, endpoint = xpub
    with Subscriber(endpoint, topics=("counts.", "topn.")) as sub:
        joined(pub)
        joined(pub)
        for seq in (1, 3):
            env = wire.Envelope(version=1, producer=P0, seq=seq, window=wire.WindowCounts(minute=seq, partition=0))
            pub.send_multipart([b"counts.", env.SerializeToString()])
        pub.send_multipart([b"progress", b"ignored: not subscribed"])
        assert drain(sub) == [Counts(1, False, {}, {0}), Counts(3, False, {}, {0})]


def key_pair(tmp_path, name):
    """A key pair file as `clickagg keygen --out` writes it (NAME.key and NAME.pub)."""
    if os.access(EXE, os.X_OK):
        subprocess.run([EXE, "keygen", "--out", str(tmp_path / name)], check=True, capture_output=True)
    else:
        public, secret = (k.decode() for k in zmq.curve_keypair())
        (tmp_path / f"{name}.key").write_text(f'public-key = "{public}"\nsecret-key = "{secret}"\n')
        (tmp_path / f"{name}.pub").write_text(f'public-key = "{public}"\n')
    return tmp_path / f"{name}.key", tmp_path / f"{name}.pub"


def test_curve(wire, tmp_path):
    if not zmq.has("curve"):
        pytest.skip("this libzmq has no CURVE support")
    server_key, server_pub = key_pair(tmp_path, "server")
    client_key, _ = key_pair(tmp_path, "client")
    secure = zmq.Context.instance().socket(zmq.XPUB)
    secure.linger = 0
    secure.xpub_verbose = True
    secure.curve_server = True
    secure.curve_secretkey = [ln.split('"')[1] for ln in server_key.read_text().splitlines()
                              if ln.startswith("secret-key")][0].encode()
    endpoint = f"tcp://127.0.0.1:{secure.bind_to_random_port('tcp://127.0.0.1')}"
    env = wire.Envelope(version=1, producer=P0, seq=1, window=wire.WindowCounts(minute=7, partition=0))
    try:
        for keys in ({"key_pair": client_key}, {}):  # our key pair; a fresh one
            with Subscriber(endpoint, topics=("counts.",), server_key=server_pub, **keys) as sub:
                joined(secure)
                secure.send_multipart([b"counts.", env.SerializeToString()])
                assert sub.next(timeout=5) == Counts(7, False, {}, {0})
        with Subscriber(endpoint, topics=("counts.",)) as plain:  # no CURVE: no handshake, nothing
            while secure.poll(500):  # at most the earlier subscriber's unsubscription
                assert not secure.recv().startswith(b"\x01")
            secure.send_multipart([b"counts.", env.SerializeToString()])
            assert plain.next(timeout=0.3) is None
    finally:
        secure.close()
    with pytest.raises(ValueError):
        Subscriber(endpoint, key_pair=client_key)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def subscribe_to_run(tmp_path, attempt, records=60000):
    """Every record the subscriber got from `clickagg run --pub` (a bounded generated stream; event
    time 30x the wall clock, so that minutes close within seconds), and the database."""
    port = free_port()
    work = tmp_path / f"run-{attempt}"
    work.mkdir()
    rate = 15000
    argv = [EXE, "run", "--pub", f"tcp://127.0.0.1:{port}", "--db", str(work / "x.db"),
            "--state-dir", str(work / "state"), "--listen", "127.0.0.1:0", "--count", str(records),
            "--rate", str(rate), "--events-per-second", str(rate // 30), "--start", "2021-01-01T00:00:30Z",
            "--seed", "31", "--batch-interval", "100ms", "--progress-interval", "0", "--engine", "cpu",
            "--topn-windows", "1,3", "--top", "10", "--ads", "400", "--users", "4000", "--late", "0.02",
            "--allowed-lateness", "10s", "--duplicates", "0.01", "--malformed", "0.001"]
    got = []
    # The subscriber first: it connects (and retries) until run binds.
    with Subscriber(f"tcp://127.0.0.1:{port}", topics=("",)) as sub, open(work / "run.log", "w") as log:
        run = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        try:
            while run.poll() is None and time.monotonic() < deadline:
                if (rec := sub.next(timeout=0.2)) is not None:
                    got.append(rec)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
        got += drain(sub, quiet=1)
        skipped = sub.skipped
    assert run.returncode == 0, f"clickagg run exited with {run.returncode}: {(work / 'run.log').read_text()[-2000:]}"
    return got, skipped, work / "x.db"


def test_end_to_end(tmp_path):
    if not os.access(EXE, os.X_OK):
        pytest.skip(f"no clickagg binary at {EXE} (set CLICKAGG_EXE)")
    for attempt in range(1, 4):
        got, skipped, db = subscribe_to_run(tmp_path, attempt)
        # PUB drops what it sends before the subscriber has joined: run's first round (its late
        # events and rejects, then a Progress) often goes partly that way. The first Progress
        # received tells what was sent before it; run again if that includes a window (a top-N
        # list only follows a closed window).
        first = next((i for i, r in enumerate(got) if isinstance(r, Progress)), None)
        if first is not None and got[first].windows_closed == got[first].corrections == 0:
            break
    else:
        pytest.fail(f"the subscriber joined late in 3 runs; first records {got[:3]}")
    before, first = got[:first], got[first]
    lost_late = first.dropped_late - sum(isinstance(r, Late) for r in before)
    lost_rejects = first.rejected - sum(isinstance(r, Reject) for r in before)

    r = read_sqlite_results(db)
    counts, lists, meta, late, rejects = r.counts, r.lists, r.meta, r.late, r.rejects
    assert counts and lists, "the database holds no results"
    merged_counts, merged_lists, progress = {}, {}, None
    for rec in got:
        if isinstance(rec, Counts):
            merged_counts[rec.minute] = sorted((ad.decode(), f, n) for (ad, f), n in rec.rows.items())
        elif isinstance(rec, TopN):
            merged_lists[rec.minute, rec.window, rec.filter_id] = [(ad.decode(), n) for ad, n in rec.entries]
        elif isinstance(rec, Progress):
            progress = rec
    assert merged_counts == counts
    assert merged_lists == lists
    assert progress is not None
    assert {c: getattr(progress, c) for c in COUNTERS} == {c: meta.get(c, 0) for c in COUNTERS}
    assert progress.consumer_lag == meta.get("consumer_lag")
    assert progress.corrections > 0 and progress.rejected > 0 and progress.dropped_late > 0  # all exercised
    assert sum(isinstance(r, Late) for r in got) + lost_late == late == progress.dropped_late
    assert sum(isinstance(r, Reject) for r in got) + lost_rejects == rejects == progress.rejected
    assert not [r for r in got if isinstance(r, (Gap, UnknownVersion))]
    assert skipped == 0
