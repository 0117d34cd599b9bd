"""Core Storage's XML plists (IOKit's serialisation: ID/IDREF references, hex integers) to Python.

Core Storage keeps its volume group, logical volume and encryption context descriptions as a
bare <dict> in IOKit's XML flavour, not Apple's plist files: integers carry a size and are often
written in hex (`<integer size="32" ID="6">0x1</integer>`), and a repeated value is written once
with an ID and then as `<reference IDREF="6"/>` (libfvde's documentation shows both). plistlib
reads neither, so this small reader does; anything else is a PlistError.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# One tag: closing slash, name, attributes, self-closing slash.
_TAG = re.compile(rb'<(/?)([A-Za-z]+)((?:\s+[A-Za-z]+\s*=\s*"[^"]*")*)\s*(/?)>')
_ATTRIBUTE = re.compile(rb'([A-Za-z]+)\s*=\s*"([^"]*)"')
_ENTITIES = {b"&lt;": b"<", b"&gt;": b">", b"&quot;": b'"', b"&apos;": b"'"}
_MAX_DEPTH = 32  # the encryption context nests 4 deep; deeper is damage


class PlistError(ValueError):
    """The bytes are not a plist this reader understands."""


def _text(raw: bytes) -> str:
    for entity, char in _ENTITIES.items():
        raw = raw.replace(entity, char)
    raw = re.sub(rb"&#x([0-9A-Fa-f]+);", lambda m: chr(int(m[1], 16)).encode(), raw)
    raw = re.sub(rb"&#([0-9]+);", lambda m: chr(int(m[1])).encode(), raw)
    return raw.replace(b"&amp;", b"&").decode("utf-8", "replace")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0
        self._ids: dict[bytes, Any] = {}

    def _tag(self) -> tuple[bool, bytes, dict[bytes, bytes], bool, int]:
        """The next tag (closing, name, attributes, self-closing) and where its text starts."""
        found = _TAG.search(self._data, self._pos)
        if found is None:
            raise PlistError("the plist ends early")
        self._pos = found.end()
        attributes = dict(_ATTRIBUTE.findall(found[3]))
        return bool(found[1]), found[2], attributes, bool(found[4]), found.start()

    def _body(self, name: bytes, empty: bool) -> bytes:
        """The raw text of a leaf element up to its closing tag."""
        if empty:
            return b""
        end = self._data.find(b"</" + name + b">", self._pos)
        if end < 0:
            raise PlistError(f"<{name.decode()}> is not closed")
        body = self._data[self._pos : end]
        self._pos = end + len(name) + 3
        return body

    def value(self, depth: int = 0) -> Any:
        closing, name, attributes, empty, _ = self._tag()
        if closing:
            raise PlistError(f"unexpected </{name.decode()}>")
        if depth > _MAX_DEPTH:
            raise PlistError("the plist nests too deep")
        result = self._element(name, attributes, empty, depth)
        if b"ID" in attributes:
            self._ids[attributes[b"ID"]] = result
        return result

    def _element(self, name: bytes, attributes: dict[bytes, bytes], empty: bool,
                 depth: int) -> Any:
        if name == b"dict":
            return {} if empty else self._dict(depth)
        if name in (b"array", b"set"):
            return [] if empty else self._array(name, depth)
        if name == b"reference":
            ref = attributes.get(b"IDREF")
            if ref not in self._ids:
                raise PlistError("a reference to an unknown ID")
            if not empty:
                self._body(name, empty)
            return self._ids[ref]
        if name in (b"true", b"false"):
            self._body(name, empty)
            return name == b"true"
        body = self._body(name, empty)
        if name == b"string":
            return _text(body)
        if name == b"integer":
            try:
                return int(body.strip().decode("ascii"), 0)
            except (UnicodeDecodeError, ValueError):
                raise PlistError("an integer that is not a number") from None
        if name == b"data":
            try:
                return base64.b64decode(re.sub(rb"\s+", b"", body), validate=True)
            except (binascii.Error, ValueError):
                raise PlistError("data that is not base64") from None
        raise PlistError(f"unsupported element <{name.decode()}>")

    def _dict(self, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while True:
            closing, name, _, empty, _ = self._tag()
            if closing and name == b"dict":
                return out
            if closing or name != b"key":
                raise PlistError("a dict entry without its key")
            key = _text(self._body(name, empty))
            out[key] = self.value(depth + 1)

    def _array(self, name: bytes, depth: int) -> list[Any]:
        out = []
        while True:
            mark = self._pos
            closing, tag, _, _, _ = self._tag()
            if closing and tag == name:
                return out
            self._pos = mark
            out.append(self.value(depth + 1))


def parse(data: bytes) -> dict[str, Any]:
    """The root dict of Core Storage XML `data` (ends at its first NUL, as libfvde reads it)."""
    data = data.split(b"\0", 1)[0]
    start = data.find(b"<dict")
    if start < 0:
        raise PlistError("no <dict> in the plist")
    root = _Reader(data[start:]).value()
    if not isinstance(root, dict):
        raise PlistError("the plist's root is not a dict")
    return root
