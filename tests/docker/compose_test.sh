#!/usr/bin/env bash
# The container files against the project: docker/compose.yaml, alone and with the GPU
# override, is valid for docker-compose; every clickagg command and --option the compose files
# pass exists in that command's --help of this build; each health check asks the port its
# service listens on; only the API is published, on loopback; the scripts and files the
# Dockerfile's steps name exist.
#   compose_test.sh CLICKAGG_EXE
set -euo pipefail
exe="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! command -v docker-compose >/dev/null; then
  echo "SKIP: docker-compose is not installed (scripts/setup.sh installs it)"
  exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The password is required by the compose file; any value does for validation.
export POSTGRES_PASSWORD=compose-test
cd "$root/docker"
docker-compose -f compose.yaml config -q
docker-compose -f compose.yaml -f compose.gpu.yaml config -q
docker-compose -f compose.yaml config > "$work/cpu.yaml"
docker-compose -f compose.yaml -f compose.gpu.yaml config > "$work/gpu.yaml"
echo "docker-compose $(docker-compose version --short): compose.yaml and compose.gpu.yaml valid"

python3 - "$exe" "$root" "$work/cpu.yaml" "$work/gpu.yaml" <<'PY'
import functools, re, shlex, subprocess, sys
from pathlib import Path
import yaml

exe, root, *configs = sys.argv[1:]
root = Path(root)
failures = []
help_cache = {}

def options_of(command):
    """The --options that `clickagg [COMMAND] --help` lists."""
    if command not in help_cache:
        args = [exe] + ([command] if command else []) + ["--help"]
        out = subprocess.run(args, capture_output=True, text=True)
        if out.returncode != 0:
            failures.append(f"`{' '.join(args[1:])}` exited {out.returncode}: {out.stderr.strip()}")
            help_cache[command] = set()
        else:
            help_cache[command] = set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", out.stdout))
    return help_cache[command]

@functools.cache
def commands():
    """The commands that `clickagg --help` lists."""
    out = subprocess.run([exe, "--help"], capture_output=True, text=True).stdout
    section = re.split(r"(?im)^subcommands:\s*$", out)
    return set(re.findall(r"(?m)^\s+([a-z][a-z0-9-]*)\s", section[1])) if len(section) > 1 else set()

def invocations(command):
    """Each clickagg invocation in a service's command: the words after `clickagg`."""
    if not command:
        return []
    if isinstance(command, str):
        command = shlex.split(command)
    if command[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and "-c" in command:
        lexer = shlex.shlex(command[command.index("-c") + 1], posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
    else:
        words = list(command)
    found = []
    for i, w in enumerate(words):
        # Only in command position: a group named clickagg is no invocation.
        at_start = i == 0 or re.fullmatch(r"[;&|()]+", words[i - 1]) or words[i - 1] in (
            "exec", "do", "then", "else", "{")
        if at_start and w in ("clickagg", "/usr/bin/clickagg"):
            rest = []
            for v in words[i + 1:]:
                if re.fullmatch(r"[;&|<>()]+", v):
                    break
                rest.append(v)
            found.append(rest)
    return found

# Every CLICKAGG_* variable a service sets must name a setting: the reference lists them all.
reference = subprocess.run([exe, "reference"], capture_output=True, text=True).stdout
setting_variables = set(re.findall(r"`(CLICKAGG_[A-Z0-9_]+)`", reference))

global_options_with_value = {"--log-format"}
checked = 0
for config in configs:
    services = yaml.safe_load(Path(config).read_text())["services"]
    for name, svc in services.items():
        env = svc.get("environment") or {}
        for key in (env if isinstance(env, dict) else [e.split("=", 1)[0] for e in env]):
            if key.startswith("CLICKAGG_") and key not in setting_variables:
                failures.append(f"{name}: {key} names no setting")
        for args in invocations(svc.get("command")):
            # Global options come before the command.
            i = 0
            while i < len(args) and args[i].startswith("-"):
                opt = args[i].split("=", 1)[0]
                if opt not in options_of(None):
                    failures.append(f"{name}: clickagg has no global option {opt}")
                i += 2 if opt in global_options_with_value and "=" not in args[i] else 1
            if i >= len(args):
                failures.append(f"{name}: clickagg without a command")
                continue
            sub = args[i]
            if sub not in commands():
                failures.append(f"{name}: clickagg has no command '{sub}'")
                continue
            for word in args[i + 1:]:
                if word.startswith("--"):
                    opt = word.split("=", 1)[0]
                    checked += 1
                    if opt not in options_of(sub):
                        failures.append(f"{name}: `clickagg {sub}` has no option {opt}")
            # The health check must ask the port the service serves /healthz on.
            test = (svc.get("healthcheck") or {}).get("test") or []
            test = " ".join(test) if isinstance(test, list) else test
            m = re.search(r"127\.0\.0\.1:(\d+)/healthz", test)
            if m:
                listen = [args[k + 1] for k in range(i + 1, len(args) - 1)
                          if args[k] in ("--metrics-listen", "--listen")]
                if not any(l.endswith(":" + m.group(1)) for l in listen):
                    failures.append(f"{name}: health check asks port {m.group(1)}, service listens on {listen}")
        if not svc.get("healthcheck") and svc.get("restart", "no") != "no":
            failures.append(f"{name}: a long-running service without a health check")
        for port in svc.get("ports") or []:
            published = port if isinstance(port, dict) else None
            host_ip = published.get("host_ip") if published else str(port).split(":")[0]
            if name != "serve" or host_ip != "127.0.0.1":
                failures.append(f"{name}: publishes {port} (only serve publishes, on 127.0.0.1)")

# The Dockerfile: scripts its RUN steps call and files its COPY steps take from the context.
dockerfile = (root / "docker" / "Dockerfile").read_text()
steps = re.sub(r"\\\n", " ", re.sub(r"^\s*#.*\n", "", dockerfile, flags=re.M)).splitlines()
scripts = 0
for step in steps:
    parts = step.split(None, 1)
    if not parts:
        continue
    if parts[0] == "RUN":
        for script in re.findall(r"(?<![\w/.-])(scripts/[\w./-]+)", parts[1]):
            scripts += 1
            p = root / script
            if not (p.is_file() and p.stat().st_mode & 0o111):
                failures.append(f"Dockerfile: RUN calls {script}, which is not an executable file")
    elif parts[0] == "COPY" and "--from=" not in parts[1]:
        for src in parts[1].split()[:-1]:
            if src != "." and not (root / src).exists():
                failures.append(f"Dockerfile: COPY {src}, which does not exist")
if scripts == 0:
    failures.append("Dockerfile: no RUN step calls the project's scripts")

failures = list(dict.fromkeys(failures))  # the same service in both configurations once
for f in failures:
    print("FAIL:", f)
if failures:
    sys.exit(1)
print(f"clickagg: {checked} options checked against --help of {len([c for c in help_cache if c])} commands; "
      f"Dockerfile: {scripts} script calls")
PY
echo "PASS"
