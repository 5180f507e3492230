"""Bad input gets a Python exception that says why, never a crash; state survives a save and
restore; the GIL is released while an engine runs."""
import random
import threading
import time

import numpy as np
import pytest

import clickagg

CLICK = b"[AdClickEvent] ad1, 2021-01-01 00:00:01, u1, 1.2.3.4, US\n"


def columns(**over):
    cols = {"t_ms": np.array([1_609_459_201_000]), "ad_id": ["ad1"], "user_id": ["u1"], "ip": ["1.2.3.4"],
            "country": ["US"]}
    cols.update(over)
    return cols


@pytest.mark.parametrize("fmt", ["log", "json", "binary", "auto"])
def test_random_bytes_are_rejected_with_reasons(fmt):
    rng = random.Random(3)
    for _ in range(300):
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        decoded = clickagg.decode(junk + CLICK, format=fmt, max_future=None)
        assert len(decoded.reject_positions) == len(decoded.reject_reasons)
        assert all(isinstance(r, str) and r for r in decoded.reject_reasons)


def test_rejects_name_position_and_reason():
    decoded = clickagg.decode(CLICK + b"[AdClickEvent] , 2021-01-01 00:00:01, u1, 1.2.3.4, US\n" + b"garbage\n",
                              max_future=None)
    assert len(decoded.batch) == 1
    assert [p for p, _ in decoded.rejects] == [2, 3]
    assert decoded.rejects[0][1] == "empty ad_id"


def test_event_time_bound_rejects_the_far_future():
    decoded = clickagg.decode(b"[AdClickEvent] a, 9999-12-31 23:59:59, u1, 1.2.3.4, US\n" + CLICK,
                              now=1_609_459_200_000, max_future="10m")
    assert len(decoded.batch) == 1 and len(decoded.rejects) == 1


@pytest.mark.parametrize("call, message", [
    (lambda: clickagg.decode(CLICK, format="xml"), "bad format"),
    (lambda: clickagg.decode(CLICK, max_future="10"), "unit"),
    (lambda: clickagg.Engine(kind="tpu"), "bad kind"),
    (lambda: clickagg.Engine(delay="15"), "unit"),
    (lambda: clickagg.Engine(top=0), "top"),
    (lambda: clickagg.Engine(topn_windows=()), "topn_windows"),
    (lambda: clickagg.Engine(filters="- id: 0\n  name: bad\n"), "filter"),
    (lambda: clickagg.Engine(kind="cpu").restore_state(b"not a snapshot"), "cannot restore"),
    (lambda: clickagg.Engine(kind="cpu").process(0, columns(ip=["300.1.1.1"])), "row 0: bad ip"),
    (lambda: clickagg.Engine(kind="cpu").process(0, columns(ad_id=["a,b"])), "row 0: bad ad_id"),
    (lambda: clickagg.Engine(kind="cpu").process(0, columns(user_id=[""])), "row 0: empty user_id"),
    (lambda: clickagg.Engine(kind="cpu").process(0, columns(country=["U\tS"])), "row 0: bad country"),
    (lambda: clickagg.Engine(kind="cpu").process(0, columns(ad_id=["a", "b"])), "2 rows, t_ms has 1"),
    (lambda: clickagg.Engine(kind="cpu").process(0, {"t_ms": [1]}), "missing column"),
    (lambda: clickagg.aggregate("/nonexistent/clicks.log"), "cannot read"),
    (lambda: clickagg.aggregate([]), "at least one"),
    (lambda: clickagg.generate(count=0), "count"),
    (lambda: clickagg.generate(count=10, late=0.8, duplicates=0.8), "sum"),
    (lambda: clickagg.decode_envelope(b"\xff\xff not protobuf"), ""),
])
def test_value_errors_say_why(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError):
        clickagg.Engine(kind="cpu").process(0, "not a batch")
    with pytest.raises(TypeError):
        clickagg.Engine(kind="cpu").process(0, columns(ad_id=[3]))


def test_gpu_without_a_gpu_is_refused():
    try:
        clickagg.Engine(kind="gpu")
    except ValueError as e:
        assert "GPU" in str(e)
    else:
        pytest.skip("a usable GPU is present")


def test_save_and_restore_continue_exactly():
    data = clickagg.generate(count=30_000, seed=4, ads=50, late=0.02, duplicates=0.02)
    first, second = data[: len(data) // 2], data[len(data) // 2:]
    cut = first.rfind(b"\n") + 1
    first, second = first[:cut], first[cut:] + second
    whole = clickagg.Engine(kind="cpu")
    r_whole = whole.process(0, clickagg.decode(first, max_future=None).batch)
    r_whole += whole.process(0, clickagg.decode(second, max_future=None).batch)
    r_whole += whole.finish()
    a = clickagg.Engine(kind="cpu")
    r_split = a.process(0, clickagg.decode(first, max_future=None).batch)
    b = clickagg.Engine(kind="cpu")
    b.restore_state(a.save_state())
    r_split += b.process(0, clickagg.decode(second, max_future=None).batch)
    r_split += b.finish()
    assert (r_whole.counts == r_split.counts).all() and len(r_whole.counts) > 0
    assert (r_whole.topn == r_split.topn).all()
    assert whole.stats == b.stats


def test_the_gil_is_released_while_the_engine_runs():
    batch = clickagg.decode(clickagg.generate(count=400_000, seed=2, ads=100_000), max_future=None).batch
    engine = clickagg.Engine(kind="cpu", threads=1)
    done = threading.Event()
    ticks = 0

    def run():
        engine.process(0, batch)
        done.set()

    t = threading.Thread(target=run)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    took = time.perf_counter() - start
    # Holding the GIL, the engine would let this loop run about once in all that time.
    assert ticks >= max(3, int(took / 0.001 * 0.2)), (ticks, took)


def test_one_engine_from_several_threads():
    """Calls from several threads run one at a time (the GIL is released inside): no crash, and
    every event counted once."""
    batches = [clickagg.decode(clickagg.generate(count=50_000, seed=s, ads=500), max_future=None).batch
               for s in range(4)]
    engine = clickagg.Engine(kind="cpu", threads=1, delay="100m", allowed_lateness="1000m")
    errors = []

    def feed(b):
        try:
            for _ in range(3):
                engine.process(0, b)
                engine.stats
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=feed, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert engine.stats["events"] == 3 * sum(len(b) for b in batches)
