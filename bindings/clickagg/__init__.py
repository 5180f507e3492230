"""clickagg from Python: the engines over NumPy columns, the batch command as a function, the
generator, and a ZeroMQ subscriber that merges partition shares.

    import clickagg
    data = clickagg.generate(count=100_000, seed=7, ads=1000, late=0.01)
    decoded = clickagg.decode(data, format="log", max_future=None)
    engine = clickagg.Engine(kind="cpu", delay="15s", top=10)
    results = engine.process(0, decoded.batch)
    results += engine.finish()
    print(results.counts[:5], results.topn[:5])
"""
import os
from dataclasses import dataclass, field

import numpy as np

from . import _native
from ._native import Batch, COUNT_DTYPE, LATE_DTYPE, TOPN_DTYPE, decode_envelope

__all__ = ["Batch", "Engine", "Results", "Decoded", "decode", "aggregate", "generate", "Subscriber",
           "decode_envelope", "COUNT_DTYPE", "TOPN_DTYPE", "LATE_DTYPE"]


@dataclass
class Results:
    """What an engine emitted, as NumPy structured arrays.

    counts: every row of every window emitted (COUNT_DTYPE: minute, ad_id, filter_id, count,
        correction); a window is complete state, so a correction replaces the minute's rows.
    topn: every top-N list emitted, one row per rank (TOPN_DTYPE).
    late: events dropped late (LATE_DTYPE).
    """
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, COUNT_DTYPE))
    topn: np.ndarray = field(default_factory=lambda: np.empty(0, TOPN_DTYPE))
    late: np.ndarray = field(default_factory=lambda: np.empty(0, LATE_DTYPE))

    @property
    def corrections(self):
        """The rows of windows emitted again after late events."""
        return self.counts[self.counts["correction"]]

    def __iadd__(self, other):
        self.counts = np.concatenate([self.counts, other.counts])
        self.topn = np.concatenate([self.topn, other.topn])
        self.late = np.concatenate([self.late, other.late])
        return self

    def __len__(self):
        return len(self.counts) + len(self.topn) + len(self.late)


def _results(d):
    return Results(d["counts"], d["topn"], d["late"])


class Engine:
    """An engine (kind "cpu", "gpu", "gpu-portable" or "auto") with the command line's options.

    process(partition, batch) takes a Batch (passed as it is, no copy) or a dict of columns
    (t_ms, ad_id, user_id, ip, country, optional click_id and position), validated as decoders
    validate records. The GIL is released while the engine runs.
    """

    def __init__(self, kind="auto", filters=None, delay="15s", allowed_lateness="10m", top=100,
                 topn_windows=(1, 5, 60), threads=0, idle_timeout="60s"):
        self._engine = _native.Engine(kind, filters, delay, allowed_lateness, top, list(topn_windows), threads,
                                      idle_timeout)

    def process(self, partition, batch, now_ms=0):
        return _results(self._engine.process(partition, batch, now_ms))

    def tick(self, now_ms):
        return _results(self._engine.tick(now_ms))

    def finish(self):
        return _results(self._engine.finish())

    def drop_partition(self, partition):
        self._engine.drop_partition(partition)

    @property
    def stats(self):
        return self._engine.stats

    @property
    def name(self):
        return self._engine.name

    def save_state(self):
        return self._engine.save_state()

    def restore_state(self, state):
        self._engine.restore_state(state)


@dataclass
class Decoded:
    """decode()'s result: the accepted events as a Batch, and the rejected records."""
    batch: Batch
    reject_positions: np.ndarray  # line numbers (text) or byte offsets (binary), uint64
    reject_reasons: list

    @property
    def rejects(self):
        return list(zip(self.reject_positions.tolist(), self.reject_reasons))


def decode(data, format="log", now=None, max_future="10m"):
    """Decodes records (bytes) as the batch command does. `now` (epoch ms, default the wall
    clock) and `max_future` (a duration, or None for no bound) reject events dated too far ahead."""
    batch, positions, reasons = _native._decode(bytes(data), format, now, max_future)
    return Decoded(batch, positions, reasons)


def aggregate(inputs, format="auto", out=None, engine="auto", filters=None, delay="15s", allowed_lateness="10m",
              top=100, topn_windows=(1,), threads=0, now=None, max_future="10m", batch_size=1 << 20):
    """The batch command (`clickagg aggregate`) as a function, with its defaults.

    Returns {"counts", "topn", "late"} as structured arrays (the final state: the last emission
    of each minute and list), "rejects" (the lines of rejects.txt) and "summary" (summary.json).
    With `out`, also writes the command's output directory, byte for byte as the command does.
    """
    if isinstance(inputs, (str, bytes)) or hasattr(inputs, "__fspath__"):
        inputs = [inputs]
    inputs = [os.fsdecode(os.fspath(p)) for p in inputs]
    out = None if out is None else os.fsdecode(os.fspath(out))
    return _native.aggregate(inputs, format, out, engine, filters, delay,
                             allowed_lateness, top, list(topn_windows), threads, now, max_future, batch_size)


def generate(count, seed=1, format="log", ads=2_000_000, zipf=1.1, start="2021-01-01T00:00:00Z",
             events_per_second=10_000.0, users=1_000_000, out_of_order=0.0, late=0.0, very_late=0.0,
             duplicates=0.0, malformed=0.0):
    """`count` records from the deterministic generator (as `clickagg gen`), as bytes."""
    return _native.generate(count, seed, format, ads, zipf, start, events_per_second, users, out_of_order, late,
                            very_late, duplicates, malformed)


_SUBSCRIBER_NAMES = ("Subscriber", "Counts", "TopN", "Progress", "Late", "Reject", "Gap", "UnknownVersion")
__all__ += list(_SUBSCRIBER_NAMES[1:])


def __getattr__(name):  # the subscriber needs pyzmq: imported on first use only
    if name in _SUBSCRIBER_NAMES or name == "subscriber":
        import importlib
        module = importlib.import_module(".subscriber", __name__)
        return module if name == "subscriber" else getattr(module, name)
    raise AttributeError(f"module 'clickagg' has no attribute '{name}'")
