"""A subscriber of clickagg's PUB socket that keeps the merged results (docs/wire-format.md).

A streaming aggregator sends each result as one share per input partition; this combines every
partition's latest share and yields the merged result again each time a share of it arrives:

    from clickagg import Subscriber
    with Subscriber("tcp://127.0.0.1:5561", topics=("",)) as sub:
        for rec in sub:  # Counts, TopN, Progress, Late, Reject, Gap, UnknownVersion
            print(rec)

Needs pyzmq. Envelopes are decoded by the native module (clickagg.decode_envelope).
"""
import time
from collections import deque
from dataclasses import dataclass, field, fields

import zmq

from ._native import COUNTERS as _COUNTERS
from ._native import decode_envelope

__all__ = ["Subscriber", "Counts", "TopN", "Progress", "Late", "Reject", "Gap", "UnknownVersion"]

@dataclass
class Counts:
    """One minute's counts: per (ad_id bytes, filter_id), the sum over every partition's latest
    share. `correction`: the share that arrived is a re-emission after late events. `partitions`:
    the partitions merged (None stands for a result without partition, which covers them all)."""
    minute: int
    correction: bool
    rows: dict
    partitions: set = field(default_factory=set)


@dataclass
class TopN:
    """The top-N list of (minute, window, filter_id): the top `top_n` of the union of every
    partition's latest partial list, as [(ad_id bytes, count)] by count descending, then ad_id
    ascending (the whole union when `top_n` is unknown, 0)."""
    minute: int
    window: int
    filter_id: int
    entries: list
    correction: bool
    partitions: set = field(default_factory=set)


@dataclass
class Progress:
    """The pipeline's cumulative counters: the sum over partitions of each one's latest Progress;
    `consumer_lag` sums those that report one, `watermark_ms` is the lowest reported (every minute
    ending at or before it is closed in every partition); None when none reports one."""
    events: int
    counted: int
    late_counted: int
    duplicates: int
    dropped_late: int
    rejected: int
    windows_closed: int
    corrections: int
    consumer_lag: object
    watermark_ms: object
    partitions: set = field(default_factory=set)


@dataclass
class Late:
    """An event that arrived after its window was purged (not counted), as sent."""
    partition: int
    position: int  # the Kafka offset within the partition
    ad_id: bytes
    t_ms: int
    watermark_ms: int


@dataclass
class Reject:
    """A record that could not be decoded (dead letter), as sent."""
    partition: int
    offset: int
    reason: str
    record: bytes


@dataclass
class Gap:
    """Messages of `producer` with seq `expected` .. `got - 1` were lost (the publisher does not
    wait for slow subscribers). Only reported when subscribed to every topic ("")."""
    producer: str
    expected: int
    got: int


@dataclass
class UnknownVersion:
    """An envelope of a format version this reader does not know: skipped."""
    topic: str
    version: int = None


def _key(path, name):
    """A field ("public-key", "secret-key") of a file made by `clickagg keygen`, as bytes."""
    with open(path) as f:
        for line in f:
            if line.startswith(name):
                return line.split('"')[1].encode()
    raise ValueError(f"{path}: no {name}")


def _header(data):
    """(version, producer, seq) of an Envelope that the native decoder refused, read from its raw
    protobuf fields 1-3; None when the bytes are not protobuf or carry no version."""
    got, i, n = {}, 0, len(data)

    def varint():
        nonlocal i
        value = shift = 0
        while True:
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value
    try:
        while i < n:
            tag = varint()
            kind = tag & 7
            if kind == 0:
                got[tag >> 3] = varint()
            elif kind == 2:
                size = varint()
                got[tag >> 3] = bytes(data[i:i + size])
                i += size
            elif kind in (1, 5):
                i += 8 if kind == 1 else 4
            else:
                return None
    except IndexError:
        return None
    version, producer, seq = got.get(1), got.get(2, b""), got.get(3, 0)  # every envelope has a version
    if i != n or not isinstance(version, int) or not isinstance(producer, bytes) or not isinstance(seq, int):
        return None
    return version, producer.decode("utf-8", "replace"), seq


def _record(cls, body):
    return cls(**{f.name: body[f.name] for f in fields(cls)})


class Subscriber:
    """Subscribes to `endpoint` (a PUB socket: `clickagg aggregator --pub` or `clickagg run --pub`)
    for the topic prefixes `topics` ("" for everything; see docs/wire-format.md) and yields typed
    records: Counts, TopN and Progress merged over partitions (each time a share arrives, the whole
    merged state of its key), Late and Reject as sent, Gap for lost messages and UnknownVersion for
    envelopes of another format version. Other undecodable messages are skipped and counted in
    `skipped`.

    CURVE (an aggregator with --pub-curve): `server_key` is its public key file, `key_pair` our
    key pair file (both as `clickagg keygen` writes them); without `key_pair`, a fresh key pair
    (enough unless the publisher admits only listed keys, --pub-allow). `context`: the zmq.Context
    to use (default: the process's shared one).

    The merged state grows with every minute: a long-running reader calls forget() now and then.
    """

    def __init__(self, endpoint="tcp://127.0.0.1:5561", topics=("counts.", "topn."), server_key=None,
                 key_pair=None, context=None):
        if isinstance(topics, (str, bytes)):
            topics = (topics,)
        topics = [t.encode() if isinstance(t, str) else bytes(t) for t in topics]
        self._socket = (context if context is not None else zmq.Context.instance()).socket(zmq.SUB)
        try:
            self._socket.linger = 0
            if server_key is not None:
                if not zmq.has("curve"):
                    raise RuntimeError("this libzmq has no CURVE support")
                public, secret = (_key(key_pair, "public-key"), _key(key_pair, "secret-key")) if key_pair \
                    else zmq.curve_keypair()
                self._socket.curve_serverkey = _key(server_key, "public-key")
                self._socket.curve_publickey = public
                self._socket.curve_secretkey = secret
            elif key_pair is not None:
                raise ValueError("key_pair without server_key: CURVE needs the publisher's public key")
            self._socket.connect(endpoint)
            for t in topics:
                self._socket.setsockopt(zmq.SUBSCRIBE, t)
        except BaseException:
            self._socket.close()
            raise
        self._gaps = b"" in topics  # seq counts every topic: a gap is only meaningful for all of them
        self._latest = {}  # key -> {partition (None: all): body dict}
        self._last_seq = {}  # producer -> highest seq seen
        self._pending = deque()
        self.skipped = 0

    def next(self, timeout=None):
        """The next record; None when `timeout` seconds pass without one (None: wait for ever)."""
        if self._socket.closed:
            raise ValueError("the subscriber is closed")
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            wait = -1 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if not self._socket.poll(wait):
                return None
            self._receive(self._socket.recv_multipart())
        return self._pending.popleft()

    def __iter__(self):
        return self

    def __next__(self):
        if self._socket.closed:
            raise StopIteration
        return self.next()

    def forget(self, before_minute):
        """Drops the merged state of minutes before `before_minute`: their later shares are then
        merged from scratch."""
        self._latest = {k: v for k, v in self._latest.items() if len(k) < 2 or k[1] >= before_minute}

    def close(self):
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _receive(self, frames):
        if len(frames) != 2:
            self.skipped += 1  # not a result message
            return
        topic, payload = frames[0].decode("utf-8", "replace"), frames[1]
        try:
            env = decode_envelope(payload)
        except ValueError:
            self.skipped += 1
            head = _header(payload)
            if head and head[0] != 1:
                self._pending.append(UnknownVersion(topic, head[0]))
            elif head:  # version 1 with a body this reader does not know: skipped, but seq counts
                self._sequence(head[1], head[2])
            return
        self._sequence(env["producer"], env["seq"])
        self._pending.append(self._merge(env["kind"], env["body"]))

    def _sequence(self, producer, seq):
        last = self._last_seq.get(producer)
        if self._gaps and last is not None and seq > last + 1:
            self._pending.append(Gap(producer, last + 1, seq))
        self._last_seq[producer] = max(seq, last or 0)  # lower: a resend after a restart

    def _shares(self, key, body):
        """Records `body` as the latest share of `key`; returns every partition's latest share."""
        shares = self._latest.setdefault(key, {})
        if body["partition"] is None:
            shares.clear()  # a result without a partition covers every partition
        shares[body["partition"]] = body
        return shares

    def _merge(self, kind, b):
        if kind == "window":
            shares = self._shares(("counts", b["minute"]), b)
            rows = {}
            for share in shares.values():
                for ad, f, n in share["rows"]:
                    rows[ad, f] = rows.get((ad, f), 0) + n
            return Counts(b["minute"], b["correction"], rows, set(shares))
        if kind == "topn":
            shares = self._shares(("topn", b["minute"], b["window"], b["filter_id"]), b)
            union = sorted((e for s in shares.values() for e in s["entries"]), key=lambda e: (-e[1], e[0]))
            return TopN(b["minute"], b["window"], b["filter_id"], union[:b["top_n"]] if b["top_n"] else union,
                        b["correction"], set(shares))
        if kind == "progress":
            shares = self._shares(("progress",), b)
            total = {c: sum(s[c] for s in shares.values()) for c in _COUNTERS}
            lags = [s["consumer_lag"] for s in shares.values() if s["consumer_lag"] is not None]
            marks = [s["watermark_ms"] for s in shares.values() if s["watermark_ms"] is not None]
            return Progress(**total, consumer_lag=sum(lags) if lags else None,
                            watermark_ms=min(marks) if marks else None, partitions=set(shares))
        return _record(Late if kind == "late" else Reject, b)
