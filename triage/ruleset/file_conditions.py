"""Conditions on a file record's own facts: path, name, type, size, times, deletion, hits."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from triage.ruleset import limits, shape
from triage.ruleset.globs import GlobError, compile_glob
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.registry import Leaf, leaf


def _join(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


@leaf("path", "Glob(s) over the whole path, case-insensitive; `**` spans folders.")
def _path(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    globs = []
    for text, where in shape.text_list(value, mark, sink, "path glob"):
        try:
            globs.append(compile_glob(text))
        except GlobError as exc:
            sink.error(where, str(exc))
    if not globs:
        return None
    inside = tuple(g.inside for g in globs if g.inside is not None)
    suffixes = tuple(g.suffix for g in globs if g.suffix is not None)
    rest = [g for g in globs if g.inside is None and g.suffix is None]
    fixed = [g.regex.pattern for g in rest if g.floating is None]
    floating = [g.floating for g in rest if g.floating is not None]
    full = re.compile(_join(fixed), re.DOTALL).fullmatch if fixed else None
    search = re.compile(_join(floating), re.DOTALL).search if floating else None

    def test(f: Any) -> bool:
        path = f.path
        if suffixes and path.endswith(suffixes):
            return True
        if inside:
            slashed = path + "/"
            for text in inside:
                if text in slashed:
                    return True
        return (full is not None and full(path) is not None) or (
            search is not None and search(path) is not None)

    anchors: set[tuple[str, str]] | None = set()
    for glob in globs:
        if glob.component is not None:
            anchors.add(("comp", glob.component))
        elif glob.extension is not None:
            anchors.add(("pext", glob.extension))
        elif glob.substring is not None:
            anchors.add(("sub", glob.substring))
        else:
            anchors = None
            break
    return Leaf(test, 5, None if anchors is None else frozenset(anchors))


@leaf("name", "Regular expression(s) searched in the file name, case-insensitive.")
def _name(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    items = shape.text_list(value, mark, sink, "name regex")
    compiled = [shape.regex(text, where, sink, "name regex") for text, where in items]
    if not items or None in compiled:
        return None
    search = re.compile(_join([text for text, _ in items]), re.IGNORECASE).search
    return Leaf(lambda f: search(f.record.name) is not None, 4)


@leaf("extension", "File name extension(s), without the dot, case-insensitive.")
def _extension(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    exts = frozenset(t.lower().lstrip(".") for t, _ in shape.text_list(value, mark, sink,
                                                                          "extension"))
    if not exts:
        return None
    return Leaf(lambda f: f.ext in exts, 1, frozenset(("ext", e) for e in exts))


@leaf("mime", "Content type(s) found by libmagic; 'image/*' matches a whole family.")
def _mime(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    items = [t.lower() for t, _ in shape.text_list(value, mark, sink, "mime type")]
    if not items:
        return None
    exact = frozenset(t for t in items if not t.endswith("/*"))
    prefixes = tuple(t[:-1] for t in items if t.endswith("/*"))

    def test(f: Any) -> bool:
        mime = f.record.mime
        return mime is not None and (mime in exact or mime.startswith(prefixes))

    return Leaf(test, 2, frozenset(("mime", t.partition("/")[0]) for t in items))


@leaf("ext_mismatch", "True when the content type contradicts the file name's extension.")
def _ext_mismatch(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    want = shape.boolean(value, mark, sink, "ext_mismatch")
    if want is None:
        return None
    return Leaf(lambda f: f.record.ext_mismatch is want, 1,
                frozenset({("flag", "mismatch")}) if want else None)


@leaf("deleted", "True for deleted (unallocated) files, false for allocated ones.")
def _deleted(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    want = shape.boolean(value, mark, sink, "deleted")
    if want is None:
        return None
    return Leaf(lambda f: f.record.deleted is want, 1,
                frozenset({("flag", "deleted")}) if want else None)


@leaf("size", "Size range in bytes: `min` and/or `max` (numbers or '64 MiB').")
def _size(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    spec = shape.as_map(value, mark, sink, "size")
    if spec is None or not shape.check_keys(spec, sink, "size", ("min", "max")):
        return None
    if not spec:
        sink.error(mark, "size needs 'min' and/or 'max'")
        return None
    low = shape.size(spec["min"], spec.value_mark("min"), sink, "size min") if "min" in spec else 0
    high = (shape.size(spec["max"], spec.value_mark("max"), sink, "size max")
            if "max" in spec else None)
    if low is None or ("max" in spec and high is None):
        return None
    if high is not None and high < low:
        sink.error(mark, f"size max ({high}) is below size min ({low})")
        return None
    large = frozenset({("flag", "large")}) if low >= limits.LARGE_FILE else None
    if high is None:
        return Leaf(lambda f: f.record.size >= low, 1, large)
    return Leaf(lambda f: low <= f.record.size <= high, 1, large)


_TIME_FIELDS = {"modified": "mtime", "accessed": "atime", "changed": "ctime",
                "created": "crtime"}


@leaf("time", "A file time (`field`, default modified) `within_days` of now, `after` / "
      "`before` a date, or `since_scan` (the scan's --since date).")
def _time(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    spec = shape.as_map(value, mark, sink, "time")
    keys = ("field", "within_days", "after", "before", "since_scan")
    if spec is None or not shape.check_keys(spec, sink, "time", keys):
        return None
    field = spec.get("field", "modified")
    if field not in _TIME_FIELDS:
        sink.error(spec.value_mark("field"), f"time field must be one of "
                   f"{', '.join(_TIME_FIELDS)}, not {shape.type_name(field)}")
        return None
    attr = _TIME_FIELDS[field]
    tests: list[Callable[[Any, float], bool]] = []
    if "within_days" in spec:
        days = shape.number(spec["within_days"], spec.value_mark("within_days"), sink,
                            "within_days", low=0)
        if days is None:
            return None
        span = days * 86400.0
        tests.append(lambda f, t: t >= f.clock.now - span)
    for key, later in (("after", True), ("before", False)):
        if key in spec:
            bound = shape.timestamp(spec[key], spec.value_mark(key), sink, key)
            if bound is None:
                return None
            tests.append((lambda f, t, b=bound: t > b) if later else (lambda f, t, b=bound: t < b))
    if "since_scan" in spec:
        if spec["since_scan"] is not True:
            sink.error(spec.value_mark("since_scan"), "since_scan can only be true")
            return None
        tests.append(lambda f, t: f.clock.since is not None and t >= f.clock.since)
    if not tests:
        sink.error(mark, "time needs one of within_days, after, before or since_scan")
        return None

    def test(f: Any) -> bool:
        when = getattr(f.record, attr)
        return when is not None and all(check(f, when) for check in tests)

    return Leaf(test, 2)


def _hit_filter(spec: Any, mark: Mark, sink: ProblemSink, what: str,
                extra: dict[str, Callable[[Any, Mark], Any]]) -> dict[str, Any] | None:
    if spec is True:  # any hit at all
        return {}
    spec = shape.as_map(spec, mark, sink, what)
    if spec is None or not shape.check_keys(spec, sink, what, ("set", "category", *extra)):
        return None
    out: dict[str, Any] = {}
    for key in ("set", "category"):
        if key in spec:
            items = shape.text_list(spec[key], spec.value_mark(key), sink, f"{what} {key}")
            if not items:
                return None
            out[key] = frozenset(t for t, _ in items)
    for key, parse in extra.items():
        if key in spec:
            parsed = parse(spec[key], spec.value_mark(key))
            if parsed is None:
                return None
            out[key] = parsed
    return out


def _hits(f: Any, key: str) -> list[Any] | tuple[Any, ...]:
    hits = f.record.facts.get(key)
    return hits if isinstance(hits, list | tuple) else ()  # a malformed fact is no hit


def _hit_matches(hit: Any, want: dict[str, Any]) -> bool:
    if not isinstance(hit, dict):
        return False
    if "set" in want and hit.get("set") not in want["set"]:
        return False
    if "category" in want and hit.get("category") not in want["category"]:
        return False
    if "known_good" in want and bool(hit.get("known_good")) is not want["known_good"]:
        return False
    distance = hit.get("distance")
    return "max_distance" not in want or (isinstance(distance, int | float)
                                          and distance <= want["max_distance"])


@leaf("hashset", "An exact hash-set hit, optionally limited by `set`, `category`, `known_good`.")
def _hashset(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    extra = {"known_good": lambda v, m: shape.boolean(v, m, sink, "known_good")}
    want = _hit_filter(value, mark, sink, "hashset", extra)
    if want is None:
        return None
    return Leaf(lambda f: any(_hit_matches(h, want) for h in _hits(f, "hashset_hits")), 2,
                frozenset({("flag", "hashset")}))


@leaf("perceptual", "A perceptual-hash hit, optionally by `set`, `category`, `max_distance`.")
def _perceptual(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    extra = {"max_distance": lambda v, m: shape.number(v, m, sink, "max_distance", low=0,
                                                       integer=True)}
    want = _hit_filter(value, mark, sink, "perceptual", extra)
    if want is None:
        return None
    return Leaf(lambda f: any(_hit_matches(h, want) for h in _hits(f, "perceptual_hits")), 2,
                frozenset({("flag", "perceptual")}))
