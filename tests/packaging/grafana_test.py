#!/usr/bin/env python3
"""The Grafana dashboard (packaging/grafana/clickagg.json) against the real processes.

Every long-running command is started here for a few seconds (serve, run, sink, and the
aggregator, archive and watch pointed at a port where no broker answers: they serve /metrics
while they wait for one) and scraped. The test then requires:
- the dashboard to be a Grafana dashboard model whose panels all query the templated
  Prometheus data source ${datasource};
- every metric name in every query (panels and template variables) to be exposed by one of
  the processes; a name ending in _bucket, _sum or _count is also accepted as a series of a
  histogram family, histogram_quantile() to be applied to histogram buckets only and rate()
  and increase() to counters (or histogram series) only;
- the standard process_* metrics on every /metrics endpoint.

  grafana_test.py --clickagg BIN --dashboard FILE
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "common"))
from itest import scrape_metrics, verdict  # noqa: E402

PROCESS_METRICS = ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                   "process_open_fds", "process_max_fds", "process_start_time_seconds", "process_threads"]
# PromQL words that look like names.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or",
            "unless", "inf", "nan", "atan2"}
NAME = r"[A-Za-z_:][A-Za-z0-9_:]*"
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def metric_names(expr):
    """The metric names a PromQL expression selects: what is left once strings, label matchers,
    range selectors, label lists, Grafana variables, numbers and function names are taken out."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{?\w+\}?", " ", e)
    names = set()
    for m in re.finditer(NAME, e):
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue  # the exponent of a number such as 1e3
        if e[m.end():].lstrip().startswith("(") or m.group(0) in KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def exposition(text):
    """{family: type} of a /metrics text, and the names of its sample lines."""
    types, samples = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(None, 3)
            types[name] = typ
        elif line and not line.startswith("#"):
            samples.add(re.match(NAME, line).group(0))
    return types, samples


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
        return r.read().decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--dashboard", required=True)
    a = ap.parse_args()
    a.clickagg = os.path.abspath(a.clickagg)
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok: " if cond else "FAILED: ") + what, flush=True)
        ok &= bool(cond)

    with open(a.dashboard) as f:
        dash = json.load(f)

    # The model Grafana imports.
    check(dash.get("uid") and dash.get("title") and isinstance(dash.get("schemaVersion"), int)
          and dash["schemaVersion"] >= 36, f"uid, title, schemaVersion {dash.get('schemaVersion')}")
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
          "a templated Prometheus data source variable ${datasource}")
    panels = []
    for p in dash.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))  # inside a collapsed row
    ids = [p.get("id") for p in panels]
    check(len(ids) == len(set(ids)) and None not in ids, "panel ids unique")
    used = {}  # metric name -> where
    rated, quantiled = {}, {}
    for p in panels:
        gp = p.get("gridPos", {})
        check(gp.get("x", -1) >= 0 and gp.get("w", 0) > 0 and gp["x"] + gp["w"] <= 24,
              f"panel {p.get('title')!r}: inside the 24-column grid")
        if p.get("type") == "row":
            continue
        targets = p.get("targets", [])
        check(targets and all(t.get("expr") and t.get("refId") for t in targets),
              f"panel {p.get('title')!r}: queries with expr and refId")
        for src in [p] + targets:
            check(src.get("datasource", {}).get("uid") == "${datasource}"
                  and src.get("datasource", {}).get("type") == "prometheus",
                  f"panel {p.get('title')!r} ({src.get('refId', 'panel')}): data source ${{datasource}}")
        for t in targets:
            names = metric_names(t["expr"])
            check(names, f"panel {p['title']!r} {t['refId']}: names a metric: {t['expr']}")
            where = f"{p['title']!r} {t['refId']}"
            for n in names:
                used.setdefault(n, where)
            for n in re.findall(r"\b(?:rate|irate|increase)\(\s*(" + NAME + ")", t["expr"]):
                rated.setdefault(n, where)
            for arg in re.findall(r"histogram_quantile\(\s*[0-9.]+\s*,(.*)", t["expr"]):
                for n in metric_names(arg):
                    quantiled.setdefault(n, where)
    for v in variables.values():
        query = v.get("query")
        query = query.get("query", "") if isinstance(query, dict) else query or ""
        for n in re.findall(r"label_values\(\s*(" + NAME + r")\s*,", query):
            used.setdefault(n, f"variable {v['name']}")
    check(len(used) >= 20, f"{len(used)} metric names in the queries")

    # The real processes, each with its own /metrics endpoint.
    work = tempfile.mkdtemp(prefix="clickagg-grafana-")
    os.makedirs(os.path.join(work, "logs"))
    nobody = f"127.0.0.1:{free_port()}"  # no broker answers here
    sink_ep = f"tcp://127.0.0.1:{free_port()}"
    ports = {name: free_port() for name in ["serve", "run", "sink", "aggregator", "archive", "watch"]}
    wait_for_broker = ["--brokers", nobody, "--kafka-timeout", "0"]
    argv = {
        "serve": ["serve", "--db", f"{work}/serve.db", "--create", "--listen", f"127.0.0.1:{ports['serve']}"],
        "run": ["run", "--db", f"{work}/run.db", "--rate", "100", "--listen", f"127.0.0.1:{ports['run']}"],
        "sink": ["sink", "--listen", sink_ep, "--db", f"{work}/sink.db",
                 "--metrics-listen", f"127.0.0.1:{ports['sink']}"],
        "aggregator": ["aggregator", "--topic", "clicks", "--group", "grafana", "--format", "log",
                       "--state-dir", f"{work}/state", "--member-id", "agg-1", "--sink", sink_ep, "--engine", "cpu",
                       "--metrics-listen", f"127.0.0.1:{ports['aggregator']}"] + wait_for_broker,
        "archive": ["archive", "--topic", "clicks", "--dir", f"{work}/archive",
                    "--metrics-listen", f"127.0.0.1:{ports['archive']}"] + wait_for_broker,
        "watch": ["watch", "--glob", f"{work}/logs/*.log", "--topic", "clicks", "--state", f"{work}/watch.json",
                  "--metrics-listen", f"127.0.0.1:{ports['watch']}"] + wait_for_broker,
    }
    # Settings from the environment would change what the commands do.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKAGG_")}
    procs = {}
    exposed_types, exposed_samples = {}, set()
    try:
        for name, args in argv.items():
            log = open(os.path.join(work, f"{name}.log"), "wb")
            procs[name] = subprocess.Popen([a.clickagg] + args, stdout=log, stderr=subprocess.STDOUT, cwd=work,
                                           env=env)
        for name, proc in procs.items():
            if name in ("serve", "run"):  # a request first, so the request series have samples
                scrape_metrics(ports[name], tries=150, proc=proc)
                try:
                    http_get(ports[name], "/v1/status")
                except OSError:
                    pass
            text = scrape_metrics(ports[name], tries=150, proc=proc)
            if text is None:
                with open(os.path.join(work, f"{name}.log"), errors="replace") as f:
                    check(False, f"{name}: /metrics answers (exit {proc.poll()}): {f.read()[-2000:]}")
                continue
            types, samples = exposition(text)
            missing = [m for m in PROCESS_METRICS if m not in types or m not in samples]
            check(not missing, f"{name}: process_* metrics on its /metrics{': missing ' + str(missing) if missing else ''}")
            check(types.get("process_cpu_seconds_total") == "counter", f"{name}: process_cpu_seconds_total a counter")
            check("clickagg_build_info" in samples, f"{name}: clickagg_build_info")
            for family, typ in types.items():
                exposed_types.setdefault(family, typ)
            exposed_samples |= samples
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def histogram_base(n):
        for suffix in HISTOGRAM_SERIES:
            if n.endswith(suffix) and exposed_types.get(n[: -len(suffix)]) == "histogram":
                return n[: -len(suffix)]
        return None

    for n, where in sorted(used.items()):
        found = n in exposed_types or n in exposed_samples or histogram_base(n)
        check(found, f"{n} ({where}) is exposed")
    for n, where in sorted(rated.items()):
        check(exposed_types.get(n) == "counter" or histogram_base(n), f"rate of a counter: {n} ({where})")
    for n, where in sorted(quantiled.items()):
        check(n.endswith("_bucket") and histogram_base(n), f"histogram_quantile over histogram buckets: {n} ({where})")

    return verdict(ok, work)


if __name__ == "__main__":
    sys.exit(main())
