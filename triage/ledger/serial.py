"""Dataclasses to JSON and back, derived from their fields and type hints (one way for all).

The journal's checkpoints, `--resume` and the plan's spill use these two functions, so a field
added to a record once is saved, resumed and reported without a hand-written list anywhere.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import sys
import types
import typing
from collections import Counter
from functools import cache
from pathlib import PurePath
from typing import Any, TypeVar

T = TypeVar("T")


@cache
def _hints(cls: type) -> dict[str, Any]:
    """The saved fields' types. Only those are evaluated, so a transient field may be
    annotated with a name imported for type checking alone (a keyring, a lock)."""
    namespace = dict(vars(typing))
    namespace.update(vars(sys.modules[cls.__module__]))
    out = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("transient"):
            continue
        out[f.name] = eval(f.type, namespace) if isinstance(f.type, str) else f.type  # noqa: S307 - our own annotations
    return out


# Values JSON takes as they are. Checked first by exact type (an IntEnum or a str subclass still
# goes the long way): the plan spills every walked file's fields through here, most of them
# names, sizes, times and None, and is_dataclass alone cost 1 µs a field.
_PLAIN = frozenset((str, int, float, bool, type(None)))


def to_json(value: Any) -> Any:
    """A JSON-able form of `value`: dataclasses as objects of their fields, enums as values,
    tuples as lists, bytes as base64, Counters as plain objects."""
    if type(value) in _PLAIN:
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.metadata.get("transient")}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(to_json(v) for v in value)
    if isinstance(value, dict):
        return {_key_to_json(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def _key_to_json(key: Any) -> str:
    if isinstance(key, tuple):
        return ",".join(str(k) for k in key)  # (volume, class) keys of the plan coverage
    return str(key.value if isinstance(key, enum.Enum) else key)


def from_json(cls: Any, data: Any) -> Any:
    """The inverse of `to_json`, guided by `cls` (a dataclass or a type hint)."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        if len(options) == 1:
            return from_json(options[0], data)
        for option in options:  # the first that fits (str | int and the like)
            if isinstance(data, typing.get_origin(option) or option):
                return from_json(option, data)
        return data
    if dataclasses.is_dataclass(cls):
        hints = _hints(cls)
        return cls(**{f.name: from_json(hints[f.name], data[f.name])
                      for f in dataclasses.fields(cls)
                      if f.init and not f.metadata.get("transient") and f.name in data})
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    if cls is bytes:
        return base64.b64decode(data)
    if isinstance(cls, type) and issubclass(cls, PurePath):
        return cls(data)
    if cls is dt.datetime:
        return dt.datetime.fromisoformat(data)
    if origin in (set, frozenset):
        (item,) = typing.get_args(cls) or (Any,)
        return origin(from_json(item, v) for v in data)
    if origin in (list, tuple):
        args = typing.get_args(cls)
        item = args[0] if args else Any
        items = [from_json(item, v) for v in data]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Counter):
        args = typing.get_args(cls)
        key_type = args[0] if args else Any
        value_type = args[1] if len(args) > 1 else Any
        out = {_key_from_json(key_type, k): from_json(value_type, v) for k, v in data.items()}
        return Counter(out) if origin is Counter else out
    return data


def _key_from_json(key_type: Any, key: str) -> Any:
    if typing.get_origin(key_type) is tuple:
        return tuple(int(part) for part in key.split(","))
    if isinstance(key_type, type) and issubclass(key_type, enum.Enum):
        return key_type(key)
    return key


def load(cls: type[T], data: Any) -> T:
    """`from_json` for a dataclass, typed."""
    return typing.cast(T, from_json(cls, data))
