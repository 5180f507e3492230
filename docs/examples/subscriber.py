"""Subscribes to clickagg's PUB socket and keeps the merged results: per minute the counts, per
(minute, window, filter) the top-N list, and the pipeline's counters. A streaming aggregator
sends each result as one share per input partition; this combines the latest shares.
Needs clickagg_results_pb2.py (made by protoc) beside it or on PYTHONPATH."""
import argparse
import json
import sys

import zmq

import clickagg_results_pb2 as wire

COUNTERS = ("events", "counted", "late_counted", "duplicates", "dropped_late", "rejected",
            "windows_closed", "corrections")


def key(path, name):  # a field of a file made by `clickagg keygen`
    for line in open(path):
        if line.startswith(name):
            return line.split('"')[1].encode()


def shares_of(latest, k, result):
    """Records `result` as the latest share of `k`; returns every partition's latest share."""
    shares = latest.setdefault(k, {})
    if not result.HasField("partition"):
        shares.clear()  # a result without a partition covers every partition
    shares[result.partition if result.HasField("partition") else None] = result
    return list(shares.values())


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--connect", default="tcp://127.0.0.1:5561", help="the PUB socket")
    ap.add_argument("--server-key", help="for --pub-curve: the publisher's public key file")
    ap.add_argument("--key", help="for --pub-curve: our key pair file (clickagg keygen)")
    ap.add_argument("--json", action="store_true", help="print each merged result as a JSON line")
    ap.add_argument("--exit-after", type=float, help="exit after this many seconds without a message")
    a = ap.parse_args()

    sub = zmq.Context().socket(zmq.SUB)
    if a.server_key:
        sub.curve_serverkey = key(a.server_key, "public-key")
        sub.curve_publickey = key(a.key, "public-key")
        sub.curve_secretkey = key(a.key, "secret-key")
    if a.exit_after:
        sub.rcvtimeo = int(a.exit_after * 1000)
    sub.connect(a.connect)
    sub.setsockopt(zmq.SUBSCRIBE, b"")  # everything, so that a gap in seq means a loss

    def out(obj, text):
        print(json.dumps(obj) if a.json else text, flush=True)

    latest, last_seq = {}, {}  # grows with every minute: a long-running reader would prune it
    while True:
        try:
            topic, payload = sub.recv_multipart()
        except zmq.Again:
            return  # --exit-after seconds without a message
        env = wire.Envelope()
        env.ParseFromString(payload)
        if env.version != 1:
            continue  # a format this reader does not know
        expected = last_seq.get(env.producer, env.seq - 1) + 1
        if env.seq > expected:  # lower: a resend after a restart, with the same content
            print(f"{env.producer}: lost seq {expected}..{env.seq - 1}", file=sys.stderr, flush=True)
        last_seq[env.producer] = max(env.seq, last_seq.get(env.producer, 0))
        kind = env.WhichOneof("body")
        if kind == "window":
            w = env.window
            counts = {}  # (ad_id, filter_id) -> the sum over partitions
            for share in shares_of(latest, ("counts", w.minute), w):
                for r in share.rows:
                    counts[r.ad_id, r.filter_id] = counts.get((r.ad_id, r.filter_id), 0) + r.count
            rows = sorted([ad, f, n] for (ad, f), n in counts.items())
            clicks = [n for _, f, n in rows if f == 0]  # filter 0: all clicks
            out({"kind": "counts", "minute": w.minute, "rows": rows},
                f"{w.minute_label}: {sum(clicks)} clicks on {len(clicks)} ads")
        elif kind == "topn":
            t = env.topn
            shares = shares_of(latest, ("topn", t.minute, t.window, t.filter_id), t)
            union = [(e.ad_id, e.count) for share in shares for e in share.entries]
            union.sort(key=lambda e: (-e[1], e[0].encode()))  # count desc, then ad_id byte order
            top = union[:t.top_n] if t.top_n else union
            out({"kind": "topn", "minute": t.minute, "window": t.window, "filter": t.filter_id,
                 "entries": [list(e) for e in top]},
                f"top {t.window}m filter {t.filter_id} at {t.minute_label}: "
                + ", ".join(f"{ad}={n}" for ad, n in top))
        elif kind == "progress":
            shares = shares_of(latest, ("progress",), env.progress)
            total = {c: sum(getattr(p, c) for p in shares) for c in COUNTERS}
            lags = [p.consumer_lag for p in shares if p.HasField("consumer_lag")]
            if lags:
                total["consumer_lag"] = sum(lags)
            out({"kind": "progress", **total}, "pipeline: " + ", ".join(f"{c} {v}" for c, v in total.items()))
        # "late" and "reject" need no merging: each is one record of one partition.


if __name__ == "__main__":
    main()
