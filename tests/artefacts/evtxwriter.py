"""A small EVTX writer for the tests: one chunk of records, each a resident template with
literal values (no substitutions), as the format allows (libyal's "Windows XML Event Log"
format notes). Published logs with a cleared log (Security 1102, System 104) under a usable
licence were not found, so the tests write them; every file is read back by two independent
parsers (python-evtx, which triage uses, and the Rust `evtx` crate's bindings) before use."""

from __future__ import annotations

import binascii
import datetime as dt
import struct
from dataclasses import dataclass, field
from pathlib import Path

_CHUNK = 0x10000
_RECORDS = 0x200  # records start after the chunk header and its string/template tables
_FRAGMENT = b"\x0f\x01\x01\x00"
_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


@dataclass
class Element:
    """An XML element: name, attributes, and children (elements or one text)."""

    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)


def _filetime(when: dt.datetime) -> int:
    return int((when - _EPOCH).total_seconds() * 10_000_000)


def _hash(name: str) -> int:
    value = 0
    for unit in struct.unpack(f"<{len(name)}H", name.encode("utf-16-le")):
        value = (value * 65599 + unit) & 0xFFFFFFFF
    return value & 0xFFFF


def _name(text: str) -> bytes:
    """A name stored where it is first used: next offset, hash, length, UTF-16, NUL."""
    return struct.pack("<IHH", 0, _hash(text), len(text)) + text.encode("utf-16-le") + b"\0\0"


def _text(text: str) -> bytes:
    return b"\x05\x01" + struct.pack("<H", len(text)) + text.encode("utf-16-le")


def _element(element: Element, at: int) -> bytes:
    """The element's binary XML, to be placed at chunk offset `at`."""
    items = list(element.attributes.items())
    head_len = 11 + len(_name(element.name)) + (4 if items else 0)
    # Each attribute's name is stored inline, right after its offset field.
    attributes, cursor = bytearray(), at + head_len
    for index, (key, value) in enumerate(items):
        token = 0x46 if index < len(items) - 1 else 0x06
        piece = bytes([token]) + struct.pack("<I", cursor + 5) + _name(key) + _text(value)
        attributes += piece
        cursor += len(piece)
    body = bytearray()
    if element.children:
        body += b"\x02"
        cursor += 1
        for child in element.children:
            piece = _text(child) if isinstance(child, str) else _element(child, cursor)
            body += piece
            cursor += len(piece)
        body += b"\x04"
    else:
        body += b"\x03"
    sized = struct.pack("<I", len(attributes)) if items else b""  # the attribute list's size
    rest = _name(element.name) + sized + attributes + body
    token = 0x41 if items else 0x01
    # Data size counts everything after its own field.
    return bytes([token]) + struct.pack("<HII", 0xFFFF, 4 + len(rest), at + 11) + rest


def _record(number: int, when: dt.datetime, event: Element, at: int, template_id: int) -> bytes:
    """One record at chunk offset `at`: header, root fragment, template instance with its
    resident template, no substitutions, size again."""
    root_at = at + 24
    template_at = root_at + 4 + 10
    data_at = template_at + 24
    data = _FRAGMENT + _element(event, data_at + 4) + b"\x00"
    template = (struct.pack("<I", 0) + struct.pack("<I", template_id) + bytes(12)
                + struct.pack("<I", len(data)) + data)
    root = (_FRAGMENT + b"\x0c\x01" + struct.pack("<II", template_id, template_at) + template
            + struct.pack("<I", 0))
    size = 24 + len(root) + 4
    size += -size % 8
    body = root + bytes(size - 28 - len(root))
    return (struct.pack("<IIQQ", 0x2A2A, size, number, _filetime(when)) + body
            + struct.pack("<I", size))


def write_evtx(path: Path, events: list[tuple[dt.datetime, Element]]) -> Path:
    """An EVTX file at `path` holding `events` as records 1, 2, ... in one chunk."""
    chunk = bytearray(_CHUNK)
    at, last = _RECORDS, _RECORDS
    for number, (when, event) in enumerate(events, 1):
        record = _record(number, when, event, at, 0x1000 + number)
        if at + len(record) > _CHUNK:
            raise ValueError("the events do not fit one chunk")
        chunk[at : at + len(record)] = record
        last, at = at, at + len(record)
    count = len(events)
    struct.pack_into("<8sQQQQIIII", chunk, 0, b"ElfChnk\0", 1, count, 1, count, 0x80, last, at,
                     binascii.crc32(chunk[_RECORDS:at]))
    struct.pack_into("<I", chunk, 0x7C, binascii.crc32(chunk[:0x78] + chunk[0x80:0x200]))
    header = bytearray(0x1000)
    struct.pack_into("<8sQQQIHHHH", header, 0, b"ElfFile\0", 0, 0, count + 1, 0x80, 1, 3,
                     0x1000, 1)
    struct.pack_into("<I", header, 0x7C, binascii.crc32(header[:0x78]))
    path.write_bytes(bytes(header) + bytes(chunk))
    return path


def event(provider: str, event_id: int, when: dt.datetime, channel: str,
          user_data: tuple[str, dict[str, str]] | None = None,
          event_data: dict[str, str] | None = None) -> tuple[dt.datetime, Element]:
    """An event as Windows records it: System, then UserData (one named element of values)
    or EventData (Data elements named by their Name attribute)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"
    system = Element("System", children=[
        Element("Provider", {"Name": provider}),
        Element("EventID", children=[str(event_id)]),
        Element("TimeCreated", {"SystemTime": stamp}),
        Element("Channel", children=[channel]),
        Element("Computer", children=["ALEX-PC"])])
    children: list[Element | str] = [system]
    if user_data is not None:
        name, values = user_data
        children.append(Element("UserData", children=[Element(name, children=[
            Element(k, children=[v]) if v else Element(k) for k, v in values.items()])]))
    if event_data is not None:
        children.append(Element("EventData", children=[
            Element("Data", {"Name": k}, [v]) for k, v in event_data.items()]))
    schema = "http://schemas.microsoft.com/win/2004/08/events/event"
    return when, Element("Event", {"xmlns": schema}, children)
