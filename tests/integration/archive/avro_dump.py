#!/usr/bin/python3
"""Reads a clickagg archive directory with Apache Avro's own Python reader (Debian's
python3-avro), independently of clickagg's C++ reader, and prints one JSON object per event.

It honours the archive state file the way the format documents it: a data file whose first
offset is not below its partition's committed next offset is not committed and is skipped; a
file listed under open_files is read up to its committed length only.

    avro_dump.py DIR            # JSON lines: the record's fields plus "file"
"""
import io
import json
import os
import re
import sys

import avro.datafile
import avro.io

NAME = re.compile(r"^part-(\d{5})-(\d{20})\.avro$")
DT = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")
HOUR = re.compile(r"^hour=\d{2}$")


def committed_files(root):
    """(relative path, bytes to read or None for all) of every committed data file."""
    state = None
    path = os.path.join(root, "_archive_state.json")
    if os.path.exists(path):
        with open(path) as f:
            state = json.load(f)
    out = []
    for dt in sorted(os.listdir(root)):
        if not DT.match(dt):
            continue
        for hour in sorted(os.listdir(os.path.join(root, dt))):
            if not HOUR.match(hour):
                continue
            for name in sorted(os.listdir(os.path.join(root, dt, hour))):
                m = NAME.match(name)
                if not m:
                    continue
                rel = f"{dt}/{hour}/{name}"
                length = None
                if state is not None:
                    nxt = state["next_offset"].get(str(int(m.group(1))))
                    if nxt is None or int(m.group(2)) >= nxt:
                        continue
                    length = state["open_files"].get(rel)
                out.append((rel, length))
    return out


def read_events(root):
    """Yields (relative path, record dict) for every committed event."""
    for rel, length in committed_files(root):
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read() if length is None else f.read(length)
        if length is not None and len(data) != length:
            raise RuntimeError(f"{rel}: shorter than its committed length {length}")
        with avro.datafile.DataFileReader(io.BytesIO(data), avro.io.DatumReader()) as reader:
            for record in reader:
                yield rel, record


def main():
    for rel, record in read_events(sys.argv[1]):
        record = dict(record)
        # timestamp-millis comes back as a datetime; print the plain number.
        t = record["event_time_ms"]
        if not isinstance(t, int):
            import datetime
            t = (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(milliseconds=1)
        record["event_time_ms"] = t
        record["file"] = rel
        print(json.dumps(record, sort_keys=True))


if __name__ == "__main__":
    main()
