"""Shortcuts (LNK) Windows writes when a file is opened (Recent, Office Recent) and those on
the Desktop: `file-opened` records with the target's path, times, size and volume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from triage.artefacts.base import ExtractError, Extractor, Origin
from triage.artefacts.record import Artefact
from triage.artefacts.shortcut import MAX_LINK_BYTES, NotAShortcut, Shortcut, read_shortcut


def evidence_of(path: str) -> str:
    """Which list the shortcut was found in, in the words the report shows."""
    lowered = path.lower()
    if "/microsoft/office/recent/" in lowered:
        return "Office recent shortcut"
    if "/recent/" in lowered:
        return "recent shortcut"
    return "desktop shortcut"


def opened(shortcut: Shortcut, when: float | None, origin: Origin,
           extra: dict[str, object]) -> Artefact:
    """The `file-opened` record for one shortcut, at `when` (else its target's access time)."""
    fields = {**shortcut.fields, **extra}
    target = str(fields.get("target_path") or "")
    if target:  # the file's own name, as recently-used.xbel's records give it
        fields["name"] = target.rstrip("\\").rpartition("\\")[2] or target
    return Artefact("file-opened", when if when is not None else shortcut.target_accessed,
                    origin.address, origin.profile, fields)


class ShortcutFiles(Extractor):
    name = "windows-shortcuts"
    # Recent is rewritten each time a file is opened from Explorer or a common dialog; Office
    # keeps its own; XP kept Recent in the profile's root.
    patterns = ("*/appdata/roaming/microsoft/windows/recent/*.lnk",
                "*/appdata/roaming/microsoft/office/recent/*.lnk",
                "*/recent/*.lnk", "*/desktop/*.lnk")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        with copy.open("rb") as handle:
            data = handle.read(MAX_LINK_BYTES)
        try:
            shortcut = read_shortcut(data)
        except NotAShortcut as exc:
            raise ExtractError(f"{exc}; nothing was read from it") from None
        # The shortcut's own modification time is when its target was last opened through it.
        yield opened(shortcut, origin.modified, origin, {"evidence": evidence_of(origin.path)})
        if shortcut.damage:
            raise ExtractError(f"the shortcut is {shortcut.damage}")
