#!/usr/bin/env bash
# The Debian package, built by CPack from this build directory, extracted into a scratch root:
# `clickagg --version` runs from there and names this build; the units, docs, licence, man page,
# Grafana dashboard and the settings file (a conffile every unit's command accepts) are in it; its Depends were computed (dpkg-shlibdeps) and its units pass systemd's checks.
#   deb_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) || {
  cat "$work/cpack.log"; exit 1; }
deb="$(ls "$work"/out/clickagg_*.deb)"
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"

fail() { echo "FAIL: $*"; exit 1; }
want="$("$build/host/cli/clickagg" --version)"
got="$("$work/root/usr/bin/clickagg" --version)" || fail "the installed binary does not run"
[[ "$got" == "$want" ]] || fail "installed --version '$got', build '$want'"
echo "installed: $got"
for f in usr/share/doc/clickagg/README.md usr/share/doc/clickagg/LICENSE usr/share/doc/clickagg/wire-format.md \
         usr/share/doc/clickagg/clickagg_results.proto \
         usr/lib/systemd/system/clickagg-sink.service usr/lib/systemd/system/clickagg-aggregator@.service \
         usr/lib/systemd/system/clickagg-serve.service usr/lib/systemd/system/clickagg-archive.service \
         usr/lib/systemd/system/clickagg-watch.service usr/share/clickagg/grafana/clickagg.json \
         usr/share/man/man1/clickagg.1 etc/clickagg/clickagg.toml; do
  [[ -f "$work/root/$f" ]] || fail "missing $f"
done
grep -q "^Depends:.*libc6" "$work/control/control" || fail "no computed Depends: $(grep ^Depends "$work/control/control")"
grep -q "^Depends:.*librdkafka" "$work/control/control" || fail "Depends lacks librdkafka"
grep -q "^Depends:.*adduser" "$work/control/control" || fail "Depends lacks adduser"
[[ -x "$work/control/postinst" ]] || fail "no postinst"
grep -qx "/etc/clickagg/clickagg.toml" "$work/control/conffiles" || fail "the settings file is not a conffile"
# Every unit reads the shipped settings file: each of their commands must accept it.
for c in aggregator sink serve archive watch; do
  "$work/root/usr/bin/clickagg" "$c" --config "$work/root/etc/clickagg/clickagg.toml" --print-config >/dev/null ||
    fail "clickagg $c refuses the shipped /etc/clickagg/clickagg.toml"
  grep -q "^ExecStart=.* $c --config /etc/clickagg/clickagg.toml" "$work"/root/usr/lib/systemd/system/clickagg-$c*.service ||
    fail "the $c unit does not read /etc/clickagg/clickagg.toml"
done
man -l "$work/root/usr/share/man/man1/clickagg.1" 2>/dev/null | grep -q "max-in-flight" || fail "the man page lacks the settings"
readelf -S "$work/root/usr/bin/clickagg" | grep -q '\.debug_info' && fail "the packaged binary is not stripped"
if command -v systemd-analyze >/dev/null; then
  for u in "$work"/root/usr/lib/systemd/system/*.service; do
    # verify resolves ExecStart: point it at the extracted binary.
    sed "s|/usr/bin/clickagg|$work/root/usr/bin/clickagg|" "$u" > "$work/$(basename "$u")"
    # Units it names that this machine lacks (postgresql, the sink's own unit) are no defect.
    out="$(systemd-analyze verify "$work/$(basename "$u")" 2>&1 |
           grep -v "Cannot add dependency job for unit \(postgresql\|clickagg-sink\|network-online\)\|Failed to load configuration for \(postgresql\|clickagg-sink\)\|\(postgresql\|clickagg-sink\)\.service: Unit .* not found" || true)"
    [[ -z "$out" ]] || fail "systemd-analyze verify $(basename "$u"): $out"
  done
  echo "units: systemd-analyze verify clean"
fi
echo "PASS"
