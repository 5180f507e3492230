#!/usr/bin/env python3
"""The systemd units of packaging/systemd/ against systemd's own checks and the real processes.

- systemd-analyze verify finds nothing wrong, and systemd-analyze security rates each unit's
  exposure at most 4.0 (of 10; a unit without sandboxing rates 8.5 or more). Skipped, and
  said so, where systemd-analyze is missing.
- Every unit runs as clickagg, keeps exit status 2 from restarting, and hides the hardware
  devices, except the aggregator's, whose --engine gpu opens /dev/nvidia*.
- Each unit's command runs under the seccomp filters systemd derives from its
  RestrictAddressFamilies= and MemoryDenyWriteExecute= (seccomp_run): it serves /metrics and
  exits 0 on SIGTERM. The aggregator and the sink bind ZeroMQ tcp:// sockets, which need
  AF_NETLINK: the sink without it must die, which also shows the filter is in force.

  systemd_units_test.py --units DIR --clickagg BIN --seccomp-run BIN
"""
import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration", "common"))
from itest import scrape_metrics, verdict  # noqa: E402

MAX_EXPOSURE = 40  # systemd-analyze security --threshold: tenths of the 0..10 exposure level


def parse_unit(path):
    """{key: [values]} of a unit file's [Service] section."""
    out, section = {}, None
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
            elif section == "Service" and "=" in line:
                k, v = line.split("=", 1)
                out.setdefault(k.strip(), []).append(v.strip())
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics_up(port, proc, deadline_s=20):
    text = scrape_metrics(port, tries=deadline_s * 5, proc=proc)
    return text is not None and "process_open_fds" in text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", required=True)
    ap.add_argument("--clickagg", required=True)
    ap.add_argument("--seccomp-run", required=True)
    a = ap.parse_args()
    exe = os.path.abspath(a.clickagg)
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok: " if cond else "FAILED: ") + what, flush=True)
        ok &= bool(cond)

    units = sorted(glob.glob(os.path.join(a.units, "*.service")))
    check(len(units) >= 5, f"{len(units)} units")
    work = tempfile.mkdtemp(prefix="clickagg-units-")

    # systemd's checks, on copies whose ExecStart names the built binary.
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("SKIPPED: systemd-analyze verify and security: systemd-analyze not found (Debian package systemd)")
    for u in units:
        name = os.path.basename(u)
        svc = parse_unit(u)
        check(svc.get("User") == ["clickagg"] and svc.get("RestartPreventExitStatus") == ["2"],
              f"{name}: User=clickagg, RestartPreventExitStatus=2")
        gpu = "aggregator" in name
        hides_devices = "yes" in svc.get("PrivateDevices", []) or "DeviceAllow" in svc or "yes" in svc.get(
            "ProtectClock", [])  # ProtectClock= implies a device allow-list
        check(hides_devices != gpu, f"{name}: hardware devices {'visible' if gpu else 'hidden'}")
        if not analyze:
            continue
        copy = os.path.join(work, name)
        with open(u) as src, open(copy, "w") as dst:
            dst.write(src.read().replace("/usr/bin/clickagg", exe))
        v = subprocess.run([analyze, "verify", copy], capture_output=True, text=True)
        # Units it names that this machine lacks (postgresql, the sink's own unit) are no defect.
        noise = ("postgresql", "clickagg-sink", "network-online")
        complaints = [line for line in (v.stdout + v.stderr).splitlines() if not any(n in line for n in noise)]
        check(not complaints, f"{name}: systemd-analyze verify: {complaints or 'clean'}")
        s = subprocess.run([analyze, "security", "--offline=yes", f"--threshold={MAX_EXPOSURE}", copy],
                           capture_output=True, text=True)
        overall = [line for line in s.stdout.splitlines() if "Overall exposure level" in line]
        check(s.returncode == 0 and overall, f"{name}: {overall[0] if overall else s.stderr.strip()}")

    # The commands under their units' seccomp filters.
    nobody = f"127.0.0.1:{free_port()}"  # no broker answers here: the Kafka clients wait and retry
    sink_ep = f"tcp://127.0.0.1:{free_port()}"
    os.makedirs(os.path.join(work, "logs"))

    def command(sub, port):
        wait = ["--brokers", nobody, "--kafka-timeout", "0", "--topic", "clicks"]
        listen = ["--metrics-listen", f"127.0.0.1:{port}"]
        return {
            "sink": ["sink", "--listen", sink_ep, "--db", f"{work}/sink.db"] + listen,
            "aggregator": ["aggregator", "--state-dir", f"{work}/aggregator", "--sink", sink_ep, "--engine", "cpu",
                           "--pub", f"tcp://127.0.0.1:{free_port()}"] + wait + listen,
            "serve": ["serve", "--db", f"{work}/serve.db", "--create", "--listen", f"127.0.0.1:{port}"],
            "archive": ["archive", "--dir", f"{work}/archive"] + wait + listen,
            "watch": ["watch", "--glob", f"{work}/logs/*.log", "--state", f"{work}/watch.json"] + wait + listen,
        }.get(sub)

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKAGG_")}

    def start(name, sub, families, mdwe, port):
        argv = [a.seccomp_run] + [x for f in families for x in ("--family", str(int(getattr(socket, f))))]
        argv += (["--mdwe"] if mdwe else []) + ["--", exe] + command(sub, port)
        log = open(os.path.join(work, f"{name}.log"), "wb")
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env)

    def log_tail(name):
        with open(os.path.join(work, f"{name}.log"), errors="replace") as f:
            return f.read()[-1500:]

    for u in units:
        name = os.path.basename(u)
        svc = parse_unit(u)
        words = svc["ExecStart"][0].split()
        sub = next((w for w in words[1:] if not w.startswith("-") and w != "json"), None)
        families = " ".join(svc.get("RestrictAddressFamilies", [])).split()
        mdwe = svc.get("MemoryDenyWriteExecute") == ["yes"]
        check(command(sub, 0) is not None and families, f"{name}: runs '{sub}', families {families}, "
              f"MemoryDenyWriteExecute {'yes' if mdwe else 'no'}")
        if command(sub, 0) is None or not families:
            continue
        port = free_port()
        p = start(name, sub, families, mdwe, port)
        up = metrics_up(port, p)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        check(up and rc == 0, f"{name}: '{sub}' under its filters serves /metrics, exits {rc} on SIGTERM"
              + ("" if up and rc == 0 else f":\n{log_tail(name)}"))
        if sub == "sink" and "AF_NETLINK" in families:
            port = free_port()
            p = start("sink-no-netlink", sub, [f for f in families if f != "AF_NETLINK"], mdwe, port)
            up = metrics_up(port, p, deadline_s=10)
            if p.poll() is None:
                p.kill()
            rc = p.wait()
            check(not up and rc != 0, f"{name}: without AF_NETLINK the sink dies (exit {rc}): "
                  f"{log_tail('sink-no-netlink').strip().splitlines()[-1:] or ''}")

    return verdict(ok, work)


if __name__ == "__main__":
    sys.exit(main())
