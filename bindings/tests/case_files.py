"""The hand-computed case files of tests/cases/ (format: tests/cases/README.md), read in Python."""
import dataclasses
import pathlib


@dataclasses.dataclass
class Case:
    name: str
    config: dict
    filters_yaml: str
    input_text: bytes        # the extracted input: comments and markers removed (raw bytes)
    segments: list           # [(partition, text, action)], action: None, "batch" or "restart"
    counts: list             # expected counts.csv lines, header included
    topn: list
    summary: dict

    @property
    def single_partition(self):
        return all(p == 0 for p, _, _ in self.segments)


def _kv_lines(lines):
    out = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def _rows(lines):
    return [line for line in lines if line.strip() and not line.startswith("#")]


def load(path):
    sections, current = {}, None
    for line in pathlib.Path(path).read_bytes().split(b"\n"):
        if line.startswith(b"### "):
            current = line[4:].strip().decode()
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    raw = sections.pop("input")
    sections = {k: [line.decode() for line in v] for k, v in sections.items()}
    while raw and not raw[-1].strip():
        raw.pop()
    extracted, segments, part, buf = [], [], 0, []

    def close(action):
        nonlocal buf
        segments.append((part, b"".join(buf), action))
        buf = []

    for line in raw:
        if line.startswith(b"#"):
            continue
        if line.startswith(b"@"):
            word = line[1:].decode().split()
            if word[0] == "partition":
                close(None)
                part = int(word[1])
            else:
                close(word[0])
            continue
        extracted.append(line + b"\n")
        buf.append(line + b"\n")
    close(None)
    return Case(name=pathlib.Path(path).stem, config=_kv_lines(sections.get("config", [])),
                filters_yaml="\n".join(sections.get("filters", [])).strip() + "\n" if "filters" in sections else "",
                input_text=b"".join(extracted), segments=segments, counts=_rows(sections["counts"]),
                topn=_rows(sections["topn"]), summary={k: int(v) for k, v in _kv_lines(sections["summary"]).items()})


def all_cases(root):
    return [load(p) for p in sorted((pathlib.Path(root) / "tests" / "cases").glob("*.case"))]
