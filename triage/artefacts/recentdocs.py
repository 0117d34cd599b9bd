"""NTUSER.DAT RecentDocs: the files and folders a user opened from Explorer, most recent first.

Each numbered value holds the name (UTF-16LE, NUL-terminated) then a shell item; MRUListEx
orders the numbers, most recent first. A key is written when its first entry changes, so the
main key's time is when its first name was opened, and each per-extension subkey's time is
when its own first name was.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from regipy.registry import NKRecord, RegistryHive

from triage.artefacts.base import Origin
from triage.artefacts.hive import as_bytes, key, subkeys, values, written
from triage.artefacts.record import Artefact

# Explorer keeps 150 entries in the main key; names are paths of at most 32,767 characters.
MAX_ENTRIES = 4096
MAX_NAME_BYTES = 65_536
RECENT_DOCS = "\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs"


def mru_order(raw: object) -> list[int]:
    """The value numbers MRUListEx lists, most recent first (it ends at 0xFFFFFFFF)."""
    data = as_bytes(raw) or b""
    order = []
    data = data[: MAX_ENTRIES * 4]
    for (number,) in struct.iter_unpack("<I", data[: len(data) // 4 * 4]):
        if number == 0xFFFF_FFFF:
            break
        order.append(number)
    return order


def entry_name(raw: object) -> str | None:
    """The name at the start of a RecentDocs value, None when there is none."""
    data = as_bytes(raw)
    if not data:
        return None
    head = data[:MAX_NAME_BYTES]
    text = head[: len(head) // 2 * 2].decode("utf-16-le", "replace")
    name, nul, _ = text.partition("\0")
    return name if name and nul else None


def _names(found: NKRecord) -> list[str]:
    """The key's names in MRU order."""
    entries = values(found)
    names = []
    for number in mru_order(entries.get("MRUListEx")):
        name = entry_name(entries.get(str(number)))
        if name is not None:
            names.append(name)
    return names


def recent_docs(hive: RegistryHive, origin: Origin) -> Iterator[Artefact]:
    main = key(hive, RECENT_DOCS)
    if main is None:
        return
    first_opened: dict[str, float | None] = {}  # a subkey's first name: when it was opened
    for sub in subkeys(main):
        names = _names(sub)
        if names:
            first_opened.setdefault(names[0], written(sub))
    for position, name in enumerate(_names(main)):
        when = written(main) if position == 0 else first_opened.get(name)
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        yield Artefact("file-opened", when, origin.address, origin.profile,
                       {"name": name, "mru_position": position, "extension": extension,
                        "evidence": "RecentDocs"})
