"""A rule's positive and negative examples: small synthetic file records or volumes."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from triage.model import Address, FileRecord, PartitionRef
from triage.ruleset import shape
from triage.ruleset.artefact_conditions import FIELDS
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.yamlnodes import YList, YMap

EXAMPLE_SOURCE = "example"
EXAMPLE_PARTITION = PartitionRef(1, 1048576, "ntfs")
_TIMES = {"modified": "mtime", "accessed": "atime", "changed": "ctime", "created": "crtime"}
FILE_FIELDS = ("path", "size", "deleted", "mime", "ext_mismatch", "content", "content_hex",
               "content_random", "hashset_hits", "perceptual_hits", "since", "repeat",
               *_TIMES, *(f"{t}_days_ago" for t in _TIMES))
VOLUME_FIELDS = ("status", "reason", "fs", "size", "index", "offset", "encryption")
MAX_REPEAT = 10_000  # count examples stay small enough to run in the test suite


class BytesContent:
    """Example content held in memory (implements triage.model.Content)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read(self, offset: int, length: int) -> bytes:
        return self.data[offset:offset + length]


@dataclass(slots=True)
class Example:
    """One example as written; `build` turns it into records (or a volume) at a given now."""

    spec: YMap
    mark: Mark
    volume: dict[str, Any] | None = None
    artefact: dict[str, Any] | None = None  # an artefact record, as the rules see it
    more: list[dict[str, Any]] = field(default_factory=list)  # `records:` after the first
    since: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.volume is not None:
            return f"volume {self.volume}"
        if self.artefact is not None:
            shown = [self.artefact, *self.more]
            return "; ".join(f"artefact {a['kind']} {a['fields']}" for a in shown)
        return str(self.fields.get("path", "?"))

    def build(self, now: float) -> list[tuple[FileRecord, BytesContent | None]]:
        """The example's file records (several when `repeat` is given)."""
        f = self.fields
        data: bytes | None = None
        if "content" in f:
            data = f["content"].encode("utf-8")
        elif "content_hex" in f:
            data = bytes.fromhex(f["content_hex"])
        elif "content_random" in f:
            seed = hashlib.sha256(f["path"].encode()).digest()
            data = random.Random(seed).randbytes(f["content_random"])  # noqa: S311 - test data
        out = []
        for n in range(f.get("repeat", 1)):
            path = f["path"].replace("{n}", str(n))
            record = FileRecord(
                address=Address(EXAMPLE_SOURCE, EXAMPLE_PARTITION, path, meta_addr=64 + n),
                name=path.rpartition("/")[2],
                size=f.get("size", len(data) if data is not None else 4096),
                deleted=f.get("deleted", False),
                mime=f.get("mime"),
                ext_mismatch=f.get("ext_mismatch"),
            )
            for key, attr in _TIMES.items():
                if key in f:
                    setattr(record, attr, f[key])
                elif f"{key}_days_ago" in f:
                    setattr(record, attr, now - f[f"{key}_days_ago"] * 86400.0)
            for key in ("hashset_hits", "perceptual_hits"):
                if key in f:
                    record.facts[key] = f[key]
            out.append((record, None if data is None else BytesContent(data)))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _file_example(spec: YMap, sink: ProblemSink) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    ok = True
    for key, value in spec.items():
        where = spec.value_mark(key)
        parsed: Any = None
        if key in ("path", "mime", "content", "content_hex"):
            parsed = value if isinstance(value, str) else None
            if key == "path" and parsed is not None and not parsed.startswith("/"):
                sink.error(where, "an example path starts with '/' like '/Users/alex/a.txt'")
                ok = False
                continue
            if key == "content_hex" and parsed is not None:
                try:
                    bytes.fromhex(parsed)
                except ValueError:
                    sink.error(where, f"example content_hex must be hex digits, not '{value}'")
                    ok = False
                    continue
            if parsed is None:
                sink.error(where, f"example {key} must be text, not {shape.type_name(value)}")
        elif key in ("size", "content_random"):
            parsed = shape.size(value, where, sink, f"example {key}")
        elif key in ("deleted", "ext_mismatch"):
            parsed = shape.boolean(value, where, sink, f"example {key}")
        elif key in _TIMES or key == "since":
            parsed = shape.timestamp(value, where, sink, f"example {key}")
        elif key.endswith("_days_ago"):
            parsed = shape.number(value, where, sink, key, low=0)
        elif key == "repeat":
            parsed = shape.number(value, where, sink, "repeat", low=1, high=MAX_REPEAT,
                                  integer=True)
        elif key in ("hashset_hits", "perceptual_hits"):
            if isinstance(value, YList) and all(isinstance(v, YMap) for v in value):
                parsed = _plain(value)
            else:
                sink.error(where, f"example {key} must be a list of mappings like "
                           f"{{set: demo, category: A}}")
        if parsed is None:
            ok = False
        else:
            out[key] = parsed
    return out if ok else None


def _keyword_hits(value: Any, where: Mark, sink: ProblemSink) -> list[dict[str, Any]] | None:
    """An example's `keyword_hits`: [{list: NAME, line: N}], as the scan adds them."""
    if isinstance(value, YList) and value and all(
            isinstance(v, YMap) and isinstance(v.get("list"), str)
            and isinstance(v.get("line"), int) for v in value):
        return [{"list": v["list"], "line": v["line"], "version": str(v.get("version", "1")),
                 "field": str(v.get("field", "terms"))} for v in value]
    sink.error(where, "example keyword_hits must be a list of mappings like "
               "{list: lab-terms, line: 3}")
    return None


def _artefact_records(spec: YMap, where: Mark, sink: ProblemSink) -> Example | None:
    """`records: [...]`: several records, on one device unless each names its `device`
    (examples of `same_device` rules)."""
    items = spec["records"]
    if not shape.check_keys(spec, sink, "an artefact example", ("records",), ("records",)):
        return None
    if not isinstance(items, YList) or not items:
        sink.error(spec.value_mark("records"), "example records must be a list of artefact "
                   "records like {kind: program-run, name: x.exe}")
        return None
    parsed = []
    for number, item in enumerate(items):
        one = shape.as_map(item, items.item_mark(number), sink, "an artefact record")
        example = None if one is None else _artefact_example(one, items.item_mark(number), sink)
        if example is None or example.artefact is None:
            return None
        parsed.append(example)
    return Example(spec, where, since=parsed[0].since, artefact=parsed[0].artefact,
                   more=[e.artefact for e in parsed[1:] if e.artefact is not None])


def _artefact_example(spec: YMap, where: Mark, sink: ProblemSink) -> Example | None:
    if "records" in spec:
        return _artefact_records(spec, where, sink)
    if not shape.check_keys(spec, sink, "an artefact example", (
            "kind", "time", "since", "keyword_hits", "device", *FIELDS), ("kind",)):
        return None
    device = spec.get("device", EXAMPLE_SOURCE)
    if not isinstance(device, str):
        sink.error(spec.value_mark("device"), "example device must be text naming a disk")
        return None
    hits = None
    if "keyword_hits" in spec:
        hits = _keyword_hits(spec["keyword_hits"], spec.value_mark("keyword_hits"), sink)
        if hits is None:
            return None
    times = {}
    for key in ("time", "since"):
        if key in spec:
            times[key] = shape.timestamp(spec[key], spec.value_mark(key), sink, key)
            if times[key] is None:
                return None
    fields = {k: v for k, v in spec.items() if k not in ("kind", "time", "since",
                                                         "keyword_hits", "device")}
    record = {"kind": spec["kind"], "time": times.get("time"),
              "source": f"{device} · /example", "profile": None, "fields": fields}
    if hits is not None:
        record["keyword_hits"] = hits
    return Example(spec, where, since=times.get("since"), artefact=record)


def parse_examples(value: Any, mark: Mark, sink: ProblemSink, *, volume: bool,
                   what: str, artefact: bool = False) -> list[Example]:
    """Check and parse one list of examples (`match` or `no_match`)."""
    if not isinstance(value, YList):
        sink.error(mark, f"tests {what} must be a list of examples, not {shape.type_name(value)}")
        return []
    out: list[Example] = []
    for index, item in enumerate(value):
        where = value.item_mark(index)
        spec = shape.as_map(item, where, sink, "an example")
        if spec is None:
            continue
        if artefact:
            example = _artefact_example(spec, where, sink)
            if example is not None:
                out.append(example)
            continue
        if volume:
            if shape.check_keys(spec, sink, "a volume example", VOLUME_FIELDS, ("status",)):
                out.append(Example(spec, where, volume={
                    "source": EXAMPLE_SOURCE, "index": spec.get("index", 1),
                    "offset": spec.get("offset", 1048576), "size": spec.get("size", 0),
                    "fs": spec.get("fs"), "status": spec["status"], "reason": spec.get("reason"),
                    "encryption": _plain(spec.get("encryption")),
                }))
            continue
        if not shape.check_keys(spec, sink, "a file example", FILE_FIELDS, ("path",)):
            continue
        fields = _file_example(spec, sink)
        if fields is None:
            continue
        if fields.get("repeat", 1) > 1 and "{n}" not in fields["path"]:
            sink.error(spec.value_mark("path"), "an example with repeat needs '{n}' in its path "
                       "so that each copy has its own name")
            continue
        out.append(Example(spec, where, since=fields.pop("since", None), fields=fields))
    return out


def _plain(value: Any) -> Any:
    """A YAML mapping as a plain dict (a volume's `encryption` facts), else the value."""
    return dict(value.items()) if isinstance(value, YMap) else value


def utc_now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()
