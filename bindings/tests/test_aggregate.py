"""clickagg.aggregate() is the batch command: byte for byte the files of `clickagg aggregate`
on every hand-computed case, and tables that hold the cases' expected rows."""
import datetime
import json
import subprocess

import pytest

import clickagg
from case_files import all_cases
from conftest import ROOT

CASES = [c for c in all_cases(ROOT) if c.single_partition]
KEYS = {"delay": "delay", "allowed-lateness": "allowed_lateness", "top": "top", "now": "now",
        "max-future": "max_future"}


def label(minute):
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(minutes=int(minute))
    return t.strftime("%Y%m%d%H%M")


def python_options(case, tmp_path):
    opts = {"engine": "cpu"}
    for key, name in KEYS.items():
        if key in case.config:
            value = case.config[key]
            opts[name] = int(value) if key == "top" else (None if value == "off" else value)
    if "topn-windows" in case.config:
        opts["topn_windows"] = [int(w) for w in case.config["topn-windows"].split(",")]
    if case.filters_yaml:
        (tmp_path / "filters.yaml").write_text(case.filters_yaml)
        opts["filters"] = str(tmp_path / "filters.yaml")
    return opts


def cli_args(case, tmp_path):
    args = ["--engine", "cpu"]
    for key in ("delay", "allowed-lateness", "top", "topn-windows", "now", "max-future"):
        if key in case.config:
            args += [f"--{key}", case.config[key]]
    if case.filters_yaml:
        (tmp_path / "filters.yaml").write_text(case.filters_yaml)
        args += ["--filters", str(tmp_path / "filters.yaml")]
    return args


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_files_as_the_command(case, tmp_path, clickagg_exe):
    fmt = case.config.get("format", "log")
    source = tmp_path / f"input.{fmt}"
    source.write_bytes(case.input_text)
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    subprocess.run([clickagg_exe, "aggregate", "--input", str(source), "--format", fmt, "--out", str(cli_out)]
                   + cli_args(case, tmp_path), check=True, capture_output=True)
    tables = clickagg.aggregate(source, format=fmt, out=py_out, **python_options(case, tmp_path))
    for name in ("counts.csv", "topn.csv", "rejects.txt", "late.csv"):
        assert (py_out / name).read_bytes() == (cli_out / name).read_bytes(), name
    py_summary, cli_summary = (json.loads((d / "summary.json").read_text()) for d in (py_out, cli_out))
    for timing in ("seconds", "events_per_second"):
        py_summary.pop(timing), cli_summary.pop(timing)
    assert py_summary == cli_summary

    # The returned tables hold the case's hand-computed rows.
    counts = ["ad_id,minute,filter_id,count"] + [
        f"{r['ad_id'].decode()},{label(r['minute'])},{r['filter_id']},{r['count']}" for r in tables["counts"]]
    topn = ["minute,window,filter_id,rank,ad_id,count"] + [
        f"{label(r['minute'])},{r['window']},{r['filter_id']},{r['rank']},{r['ad_id'].decode()},{r['count']}"
        for r in tables["topn"]]
    assert sorted(counts[1:]) == sorted(case.counts[1:])
    assert topn == case.topn
    for key, want in case.summary.items():
        assert tables["summary"][key] == want, key
    assert len(tables["rejects"]) == case.summary.get("rejected", 0)


def test_without_out_writes_nothing_and_returns_the_same(tmp_path):
    case = next(c for c in CASES if c.name.startswith("17_"))
    source = tmp_path / "input.log"
    source.write_bytes(case.input_text)
    with_dir = clickagg.aggregate(source, out=tmp_path / "out", **python_options(case, tmp_path))
    without = clickagg.aggregate(source, **python_options(case, tmp_path))
    for name in ("counts", "topn", "late"):
        assert (with_dir[name] == without[name]).all(), name
    assert with_dir["rejects"] == without["rejects"]
