"""Canonical JSON bytes: the one serialisation that is hashed, signed and compared."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

# Floats are rounded to 6 decimal places (microseconds for durations in seconds, far finer than
# any measurement the report holds) and written in fixed-point notation, so that timing noise
# below that precision and platform repr differences cannot change the bytes.
FLOAT_DECIMALS = 6

# json.dumps(ensure_ascii=False) leaves lone surrogates (file names decoded with
# surrogateescape) in the text, and UTF-8 cannot encode them; JSON can, as \uXXXX escapes.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def canonical_bytes(obj: Any) -> bytes:
    """Serialise `obj` canonically: sorted keys, UTF-8, no whitespace, fixed number formatting.

    Keys are sorted by Unicode code point. Integers are written as integers; floats are rounded
    to FLOAT_DECIMALS places and written without exponent ("2.0", "0.125"); -0.0 becomes 0.0.
    NaN and infinities, non-string keys and values JSON cannot hold raise ValueError/TypeError.
    """
    parts: list[str] = []
    _encode(obj, parts, "$")
    return "".join(parts).encode("utf-8")


def canonical_float(value: float) -> str:
    """The fixed-point text of a float, as canonical_bytes writes it."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written to canonical JSON.")
    text = f"{round(value, FLOAT_DECIMALS):.{FLOAT_DECIMALS}f}".rstrip("0")
    if text.endswith("."):
        text += "0"
    return "0.0" if text == "-0.0" else text


def _string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _encode(obj: Any, parts: list[str], where: str) -> None:
    # bool before int: bool is a subclass of int and must stay true/false.
    if obj is None:
        parts.append("null")
    elif obj is True:
        parts.append("true")
    elif obj is False:
        parts.append("false")
    elif isinstance(obj, int):
        parts.append(str(int(obj)))
    elif isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"{where} is {obj!r}, which canonical JSON does not allow.")
        parts.append(canonical_float(obj))
    elif isinstance(obj, str):
        parts.append(_string(obj))
    elif isinstance(obj, Mapping):
        for key in obj:
            if not isinstance(key, str):
                raise TypeError(f"{where} has key {key!r}; canonical JSON keys must be strings.")
        parts.append("{")
        for index, key in enumerate(sorted(obj)):
            if index:
                parts.append(",")
            parts.append(_string(key))
            parts.append(":")
            _encode(obj[key], parts, f"{where}.{key}")
        parts.append("}")
    elif isinstance(obj, list | tuple):
        parts.append("[")
        for index, item in enumerate(obj):
            if index:
                parts.append(",")
            _encode(item, parts, f"{where}[{index}]")
        parts.append("]")
    else:
        raise TypeError(f"{where} is a {type(obj).__name__}, which JSON cannot hold.")
