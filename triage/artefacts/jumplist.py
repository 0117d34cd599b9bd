"""Jump lists: what each program opened recently (automatic destinations, an OLE compound
file of shortcuts with a DestList of times, pins and counts) and the lists programs keep
themselves (custom destinations, shortcuts one after another)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import olefile

from triage.artefacts.appids import app_name
from triage.artefacts.base import ExtractError, Extractor, Origin
from triage.artefacts.destlist import DestEntry, read_destlist
from triage.artefacts.lnk import opened
from triage.artefacts.record import Artefact
from triage.artefacts.shortcut import (
    LINK_CLSID,
    MAX_LINK_BYTES,
    NotAShortcut,
    Shortcut,
    read_shortcut,
)

# Windows keeps a few hundred entries per program; a file with more streams than this, or
# larger than this, is forged and only its first part is read (bounded time and memory).
MAX_ENTRIES = 5000
MAX_JUMP_LIST_BYTES = 64 * 1024 * 1024
_LINK_START = b"L\0\0\0" + LINK_CLSID
_CUSTOM_VERSION = 2


def _app(origin: Origin) -> tuple[str, str]:
    app_id = origin.path.rpartition("/")[2].partition(".")[0].lower()
    return app_id, app_name(app_id)


class JumpLists(Extractor):
    name = "windows-jump-lists"
    patterns = ("*/recent/automaticdestinations/*.automaticdestinations-ms",
                "*/recent/customdestinations/*.customdestinations-ms")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        if copy.stat().st_size > MAX_JUMP_LIST_BYTES:
            raise ExtractError(f"larger than {MAX_JUMP_LIST_BYTES:,} bytes: not a jump list "
                               "Windows writes; not read")
        if origin.path.lower().endswith(".automaticdestinations-ms"):
            yield from self._automatic(copy, origin)
        else:
            yield from self._custom(copy, origin)

    def _automatic(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        app_id, app = _app(origin)
        damage: list[str] = []
        try:
            ole = olefile.OleFileIO(str(copy))
        except Exception as exc:  # noqa: BLE001 - olefile raises anything on hostile files
            raise ExtractError(f"not a readable OLE compound file ({type(exc).__name__}); "
                               "nothing was read from it") from None
        with ole:
            entries: dict[int, DestEntry] = {}
            try:
                listed, stopped = read_destlist(self._stream(ole, "DestList"))
                entries = {e.number: e for e in listed}
                if stopped:
                    damage.append(stopped)
            except Exception as exc:  # noqa: BLE001 - a missing or damaged DestList
                damage.append(f"its DestList stream could not be read ({type(exc).__name__})")
            names = [path[0] for path in ole.listdir(streams=True, storages=False)
                     if len(path) == 1 and path[0] != "DestList"]
            if len(names) > MAX_ENTRIES:
                damage.append(f"it holds {len(names):,} streams; the first {MAX_ENTRIES:,} "
                              "were read")
            seen: set[int] = set()
            for name in names[:MAX_ENTRIES]:
                record, problem = self._entry(ole, name, entries, origin, app_id, app)
                if record is not None:
                    seen.add(record.fields["entry"])
                    yield record
                if problem:
                    damage.append(f"entry {name}: {problem}")
            for entry in entries.values():
                if entry.number not in seen:  # listed, its shortcut stream gone
                    yield opened(Shortcut(), entry.last_used, origin, {
                        "target_path": entry.path, "evidence": "jump list", "app": app,
                        "app_id": app_id, "entry": entry.number, "pinned": entry.pinned,
                        "access_count": entry.access_count, "machine_id": entry.hostname})
        if damage:
            raise ExtractError("; ".join(damage[:5]) + (f" (and {len(damage) - 5} more)"
                                                         if len(damage) > 5 else ""))

    @staticmethod
    def _stream(ole: olefile.OleFileIO, name: str) -> bytes:
        if ole.get_size(name) > MAX_LINK_BYTES * 4:
            raise ValueError("stream too large")
        with ole.openstream(name) as stream:
            return stream.read()

    def _entry(self, ole: olefile.OleFileIO, name: str, entries: dict[int, DestEntry],
               origin: Origin, app_id: str, app: str) -> tuple[Artefact | None, str | None]:
        try:
            number = int(name, 16)
        except ValueError:
            return None, None  # not an entry stream
        try:
            shortcut = read_shortcut(self._stream(ole, name))
        except NotAShortcut:
            return None, "not a shortcut"
        except Exception as exc:  # noqa: BLE001 - olefile on a damaged sector chain
            return None, f"could not be read ({type(exc).__name__})"
        extra: dict[str, object] = {"evidence": "jump list", "app": app, "app_id": app_id,
                                    "entry": number}
        entry = entries.get(number)
        when = None
        if entry is not None:
            when = entry.last_used
            extra.update(pinned=entry.pinned, access_count=entry.access_count)
            if entry.hostname and not shortcut.fields.get("machine_id"):
                extra["machine_id"] = entry.hostname
            if not shortcut.fields.get("target_path"):
                extra["target_path"] = entry.path
        return opened(shortcut, when, origin, extra), shortcut.damage

    def _custom(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        app_id, app = _app(origin)
        data = copy.read_bytes()
        if len(data) < 12 or struct.unpack_from("<I", data)[0] != _CUSTOM_VERSION:
            raise ExtractError("not a custom destinations jump list (no version 2 header); "
                               "nothing was read from it")
        starts: list[int] = []
        at = data.find(_LINK_START)
        while at >= 0 and len(starts) < MAX_ENTRIES:
            starts.append(at)
            at = data.find(_LINK_START, at + len(_LINK_START))
        damage: list[str] = []
        for index, start in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else len(data)
            shortcut = read_shortcut(data[start:end])
            yield opened(shortcut, None, origin, {"evidence": "jump list (custom)", "app": app,
                                                  "app_id": app_id, "entry": index + 1})
            if shortcut.damage:
                damage.append(f"entry {index + 1}: {shortcut.damage}")
        if damage:
            raise ExtractError("; ".join(damage[:5]))
