"""Conditions on a file's leading bytes: keywords or a regex, entropy, a known header."""

from __future__ import annotations

import re
from typing import Any

from triage.ruleset import limits, shape
from triage.ruleset.content import entropy, max_entropy, names_real_type, starts_with_known_header
from triage.ruleset.problems import Mark, ProblemSink
from triage.ruleset.registry import Leaf, leaf


def _within(spec: Any, key: str, default: int, sink: ProblemSink) -> int | None:
    if key not in spec:
        return default
    length = shape.size(spec[key], spec.value_mark(key), sink, key)
    if length is not None and not 0 < length <= limits.MAX_PREFIX:
        sink.error(spec.value_mark(key), f"{key} must be between 1 byte and "
                   f"{limits.MAX_PREFIX} bytes, not {length}")
        return None
    return length


@leaf("content", "`keywords` (any; UTF-8 or UTF-16LE) or a `regex` within the first `within` "
      "bytes; `case_sensitive` defaults to false.")
def _content(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    spec = shape.as_map(value, mark, sink, "content")
    keys = ("keywords", "regex", "within", "case_sensitive")
    if spec is None or not shape.check_keys(spec, sink, "content", keys):
        return None
    if ("keywords" in spec) == ("regex" in spec):
        sink.error(mark, "content needs exactly one of 'keywords' or 'regex'")
        return None
    within = _within(spec, "within", limits.DEFAULT_WITHIN, sink)
    sensitive = spec.get("case_sensitive", False)
    if shape.boolean(sensitive, spec.value_mark("case_sensitive"), sink, "case_sensitive") is None:
        return None
    flags = 0 if sensitive else re.IGNORECASE
    if "keywords" in spec:
        words = shape.text_list(spec["keywords"], spec.value_mark("keywords"), sink, "keyword")
        if not words:
            return None
        forms = {w.encode(enc) for w, _ in words for enc in ("utf-8", "utf-16-le")}
        pattern = re.compile(b"|".join(re.escape(w) for w in sorted(forms)), flags)
    else:
        text = spec["regex"]
        where = spec.value_mark("regex")
        if not isinstance(text, str) or not text:
            sink.error(where, f"content regex must be text, not {shape.type_name(text)}")
            return None
        checked = shape.regex(text, where, sink, "content regex", flags=flags)
        if checked is None:
            return None
        pattern = re.compile(text.encode("utf-8"), flags)
    if within is None:
        return None
    search = pattern.search

    def test(f: Any) -> bool:
        data = f.leading(within)
        found = None if data is None else search(data)
        if found is None:
            return False
        f.note("content_match", found.group(0).decode("utf-8", "replace").replace("\x00", ""))
        return True

    return Leaf(test, 50, needs_bytes=within)


@leaf("entropy", "Shannon entropy of the first `sample` bytes is at least `min` bits per byte "
      "(random or encrypted data measures close to 8).")
def _entropy(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    spec = shape.as_map(value, mark, sink, "entropy")
    if spec is None or not shape.check_keys(spec, sink, "entropy", ("min", "sample"), ("min",)):
        return None
    low = shape.number(spec["min"], spec.value_mark("min"), sink, "entropy min", low=0, high=8)
    sample = _within(spec, "sample", limits.DEFAULT_ENTROPY_SAMPLE, sink)
    if low is None or sample is None:
        return None
    if sample < limits.MIN_ENTROPY_SAMPLE or low > max_entropy(sample):
        sink.error(spec.value_mark("sample"), f"entropy sample must be at least "
                   f"{limits.MIN_ENTROPY_SAMPLE} bytes to measure {low} bits per byte")
        return None

    def test(f: Any) -> bool:
        data = f.leading(sample)
        if data is None or len(data) < limits.MIN_ENTROPY_SAMPLE:
            return False
        measured = entropy(data)
        f.note("entropy", round(measured, 4))
        return measured >= low

    return Leaf(test, 100, needs_bytes=sample)


@leaf("known_header", "True when the file starts with a recognised format header (libmagic "
      "or a built-in table of compressed and media formats).")
def _known_header(value: Any, mark: Mark, sink: ProblemSink) -> Leaf | None:
    want = shape.boolean(value, mark, sink, "known_header")
    if want is None:
        return None

    def test(f: Any) -> bool:
        # libmagic's verdict first: the bytes are read only when it did not know the type.
        known = names_real_type(f.record.mime) or starts_with_known_header(
            f.leading(limits.HEADER_BYTES))
        return known is want

    return Leaf(test, 20, needs_bytes=limits.HEADER_BYTES)
