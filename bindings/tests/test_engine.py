"""The engines through NumPy: every hand-computed case (partitions, batches and restarts
included) and a generated workload give what `clickagg aggregate` gives, whatever the batch
sizes, from decoded batches and from Python columns alike."""
import csv
import datetime
import io
import subprocess

import numpy as np
import pytest

import clickagg
from case_files import all_cases
from conftest import ROOT

CASES = all_cases(ROOT)


def label(minute):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(minutes=int(minute))
    return t.strftime("%Y%m%d%H%M")


class FinalState:
    """The last emission of each minute and of each list: what the batch command writes."""

    def __init__(self):
        self.windows, self.lists = {}, {}

    def add(self, results):
        for minute in np.unique(results.counts["minute"]):
            rows = results.counts[results.counts["minute"] == minute]
            self.windows[int(minute)] = [(r["ad_id"].decode(), int(r["filter_id"]), int(r["count"])) for r in rows]
        keys = {(int(r["minute"]), int(r["window"]), int(r["filter_id"])) for r in results.topn}
        for key in keys:
            t = results.topn
            sel = t[(t["minute"] == key[0]) & (t["window"] == key[1]) & (t["filter_id"] == key[2])]
            self.lists[key] = [(int(r["rank"]), r["ad_id"].decode(), int(r["count"])) for r in sel]

    def counts_csv(self):
        rows = [(label(m), f, a, c) for m, rows in self.windows.items() for a, f, c in rows]
        rows.sort(key=lambda r: (r[0], r[1], r[2].encode()))
        return ["ad_id,minute,filter_id,count"] + [f"{a},{m},{f},{c}" for m, f, a, c in rows]

    def topn_csv(self):
        out = ["minute,window,filter_id,rank,ad_id,count"]
        for (m, w, f) in sorted(self.lists):
            out += [f"{label(m)},{w},{f},{rank},{a},{c}" for rank, a, c in self.lists[(m, w, f)]]
        return out


def engine_for(case, tmp_path):
    opts = {"kind": "cpu", "topn_windows": [1]}
    if "delay" in case.config:
        opts["delay"] = case.config["delay"]
    if "allowed-lateness" in case.config:
        opts["allowed_lateness"] = case.config["allowed-lateness"]
    if "top" in case.config:
        opts["top"] = int(case.config["top"])
    if "topn-windows" in case.config:
        opts["topn_windows"] = [int(w) for w in case.config["topn-windows"].split(",")]
    if case.filters_yaml:
        opts["filters"] = case.filters_yaml
    return lambda: clickagg.Engine(**opts)


def decode_options(case):
    now = case.config.get("now")
    max_future = case.config.get("max-future", "10m")
    if now is None:
        return {"max_future": None}  # as the case format says: without now, nothing is too far ahead
    t = datetime.datetime.strptime(now, "%Y-%m-%d %H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return {"now": int(t.timestamp() * 1000), "max_future": None if max_future == "off" else max_future}


def chunks(text, lines_per_call):
    lines = text.splitlines(keepends=True)
    step = lines_per_call or max(1, len(lines))
    return [b"".join(lines[i:i + step]) for i in range(0, len(lines), step)]


@pytest.mark.parametrize("lines_per_call", [0, 1, 3], ids=["one-call", "per-record", "three-records"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cases_through_numpy(case, lines_per_call, tmp_path):
    make = engine_for(case, tmp_path)
    engine, state = make(), FinalState()
    fmt = case.config.get("format", "log")
    for partition, text, action in case.segments:
        for part in chunks(text, lines_per_call):
            decoded = clickagg.decode(part, format=fmt, **decode_options(case))
            state.add(engine.process(partition, decoded.batch))
        if action == "restart":
            saved = engine.save_state()
            engine = make()
            engine.restore_state(saved)
    state.add(engine.finish())
    assert state.counts_csv() == case.counts
    assert state.topn_csv() == case.topn
    stats = engine.stats
    for key in ("duplicates", "dropped_late", "counted", "late_counted"):
        if key in case.summary:
            assert stats[key] == case.summary[key], key


def cli_tables(exe, path, out):
    subprocess.run([exe, "aggregate", "--input", str(path), "--format", "log", "--engine", "cpu", "--out", str(out),
                    "--topn-windows", "1,5,60", "--top", "20", "--max-future", "off"], check=True, capture_output=True)
    return (out / "counts.csv").read_text().splitlines(), (out / "topn.csv").read_text().splitlines()


@pytest.fixture(scope="module")
def workload():
    return clickagg.generate(count=60_000, seed=11, ads=300, users=2000, events_per_second=200,
                             out_of_order=0.05, late=0.02, very_late=0.005, duplicates=0.02, malformed=0.005)


@pytest.mark.parametrize("batch_events", [997, 20_000, 10**9])
def test_generated_workload_equals_the_command(workload, batch_events, tmp_path, clickagg_exe):
    path = tmp_path / "clicks.log"
    path.write_bytes(workload)
    want_counts, want_topn = cli_tables(clickagg_exe, path, tmp_path / "cli")
    engine, state = clickagg.Engine(kind="cpu", top=20, topn_windows=(1, 5, 60)), FinalState()
    lines = workload.splitlines(keepends=True)
    per_call = max(1, min(len(lines), batch_events))
    for i in range(0, len(lines), per_call):
        state.add(engine.process(0, clickagg.decode(b"".join(lines[i:i + per_call]), max_future=None).batch))
    state.add(engine.finish())
    assert state.counts_csv() == want_counts
    assert state.topn_csv() == want_topn


def test_python_columns_equal_decoded_records():
    """The same clicks as a dict of columns and as log records: identical results."""
    rng = np.random.default_rng(5)
    n = 5000
    t = 1_609_459_200_000 + np.sort(rng.integers(0, 600_000, n))
    ads = [f"ad{int(a):03d}" for a in rng.zipf(1.3, n) % 200]
    users = [f"user {int(u)}" for u in rng.integers(0, 300, n)]
    ips = [f"10.0.{int(a)}.{int(b)}" for a, b in rng.integers(0, 255, (n, 2))]
    countries = rng.choice(["US", "de", "FR", "DEU"], n).tolist()
    text = "".join(
        f"[AdClickEvent] {a}, {datetime.datetime.utcfromtimestamp(ms / 1000):%Y-%m-%d %H:%M:%S.%f}"[:-3]
        + f", {u}, {ip}, {c}\n" for a, ms, u, ip, c in zip(ads, t.tolist(), users, ips, countries))
    from_text, from_cols = clickagg.Engine(kind="cpu"), clickagg.Engine(kind="cpu")
    a, b = FinalState(), FinalState()
    a.add(from_text.process(0, clickagg.decode(text.encode(), max_future=None).batch))
    a.add(from_text.finish())
    b.add(from_cols.process(0, {"t_ms": t, "ad_id": ads, "user_id": users, "ip": ips, "country": countries}))
    b.add(from_cols.finish())
    assert a.counts_csv() == b.counts_csv() and len(a.counts_csv()) > 10
    assert a.topn_csv() == b.topn_csv()
    assert from_text.stats == from_cols.stats


def test_batch_columns_are_views_of_the_engine_layout():
    decoded = clickagg.decode(b"[AdClickEvent] ad7, 2021-01-01 00:00:01, u1, 1.2.3.4, us\n"
                              b"[AdClickEvent] ad8, 2021-01-01 00:00:02.500, u2, ::1, DEU\n", max_future=None)
    b = decoded.batch
    assert len(b) == 2
    assert b.t_ms.tolist() == [1_609_459_201_000, 1_609_459_202_500]
    assert b.position.tolist() == [1, 2]
    assert not b.t_ms.flags.writeable and b.t_ms.base is not None  # a view, not a copy
    assert [b.ad_id(0), b.ad_id(1)] == [b"ad7", b"ad8"]
    assert [b.country(0), b.country(1)] == ["US", "DE"]
    assert b.ip[0].tolist() == [0] * 10 + [255, 255, 1, 2, 3, 4]
    assert b.ip[1].tolist() == [0] * 15 + [1]
    text = bytes(b.text)
    assert text[b.ad_off[1]:b.ad_off[1] + b.ad_len[1]] == b"ad8"
