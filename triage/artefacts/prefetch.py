"""Windows Prefetch files (libscca): which program ran, how often, its last eight run times, the
volumes it read from and the files it loaded from other volumes than its own (a USB stick, a
shadow copy); Windows 10 and 11's MAM-compressed files included."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyscca

from triage.artefacts.base import ExtractError, Extractor, Origin
from triage.artefacts.hive import filetime
from triage.artefacts.record import Artefact
from triage.model import iso_utc

# Real Prefetch files are a few KiB to a few hundred; libscca decompresses a whole MAM file in
# memory, so a larger one is refused as forged rather than read.
MAX_BYTES = 16 * 1024 * 1024
RUN_TIMES = 8  # Windows 8 and later keep eight; XP, Vista and 7 one
MAX_FILENAMES = 4096  # real files list a few hundred
OTHER_FILES = 50  # listed per record; the count of all is `files_loaded`


def _cause(exc: OSError) -> str:
    """libscca's innermost reason ('invalid volume device path offset value out of bounds'):
    its message is a chain of sentences, outermost first."""
    sentences = [s for s in str(exc).split(". ") if s]
    return (sentences[1] if len(sentences) > 1 else str(exc)).split(": ", 1)[-1].rstrip(".")


def _runs(scca: Any) -> list[float]:
    """The recorded run times, most recent first."""
    out = []
    for index in range(RUN_TIMES):
        try:
            when = filetime(scca.get_last_run_time_as_integer(index))
        except OSError:  # the format keeps fewer
            break
        if when is not None:
            out.append(when)
    return sorted(out, reverse=True)


def _filenames(scca: Any) -> list[str]:
    """The files the program loaded in its first seconds (bounded: a forged count is huge)."""
    out = []
    for index in range(min(scca.number_of_filenames, MAX_FILENAMES)):
        try:
            out.append(scca.get_filename(index) or "")
        except OSError:
            continue
    return out


def _volume_of(path: str) -> str:
    """'\\VOLUME{…}' or '\\DEVICE\\HARDDISKVOLUME2': the volume a loaded file's path names."""
    parts = path.split("\\")
    return "\\".join(parts[:3]) if len(parts) > 2 and parts[1].upper() == "DEVICE" else \
        "\\".join(parts[:2])


def _elsewhere(names: list[str], executable: str) -> list[str]:
    """Files loaded from a volume other than the program's own (a USB stick, a shadow copy,
    an encrypted container), the first OTHER_FILES of them."""
    volumes = Counter(_volume_of(name) for name in names if name)
    home = _volume_of(executable) if executable else (volumes.most_common(1) or [("", 0)])[0][0]
    return [name for name in names if name and _volume_of(name) != home][:OTHER_FILES]


def _volumes(scca: Any) -> list[dict[str, Any]]:
    out = []
    for index in range(min(scca.number_of_volumes, 64)):
        volume = scca.get_volume_information(index)
        out.append({"path": volume.device_path or "",
                    "serial": f"{volume.serial_number:08X}",
                    "created": iso_utc(filetime(volume.get_creation_time_as_integer()))})
    return out


class PrefetchFiles(Extractor):
    name = "windows-prefetch"
    patterns = ("*/windows/prefetch/*.pf",)

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        size = copy.stat().st_size
        if size == 0:
            return  # Windows leaves empty files after a crash: nothing to read, nothing missed
        if size > MAX_BYTES:
            raise ExtractError(f"{size:,} bytes is too large for a Prefetch file; not read")
        scca = pyscca.file()
        try:
            scca.open(str(copy))
        except OSError as exc:
            raise ExtractError(f"not a readable Prefetch file ({_cause(exc)})") from exc
        try:
            name = scca.executable_filename or ""
            runs = _runs(scca)
            names = _filenames(scca)
            path = next((n for n in names if n.upper().rsplit("\\", 1)[-1] == name.upper()), "")
            fields: dict[str, Any] = {
                "name": name, "path": path, "count": scca.run_count,
                "last_runs": [iso_utc(when) for when in runs],
                "volumes": _volumes(scca), "files_loaded": len(names),
                "files_on_other_volumes": _elsewhere(names, path),
                "prefetch_hash": f"{scca.prefetch_hash:08X}",
                "format_version": scca.format_version, "evidence": "Prefetch"}
        except OSError as exc:
            raise ExtractError(f"damaged Prefetch file ({_cause(exc)})") from exc
        finally:
            scca.close()
        yield Artefact("program-run", runs[0] if runs else None, origin.address, None, fields)
