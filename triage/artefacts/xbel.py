"""Files opened on a Linux desktop: the freedesktop `recently-used.xbel` bookmark list (GTK's
RecentManager, GLib's GBookmarkFile), parsed with entities and DTDs refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.parsers import expat

from triage.artefacts.base import ExtractError, Extractor, Origin
from triage.artefacts.record import Artefact, to_posix

# GNOME keeps a few hundred entries (well under 1 MB); a file this large is forged or broken,
# and is not parsed at all (bounded memory and time).
MAX_XBEL_BYTES = 32 * 1024 * 1024
_APP = "http://www.freedesktop.org/standards/desktop-bookmarks application"
_MIME = "http://www.freedesktop.org/standards/shared-mime-info mime-type"


def xbel_time(text: str | None) -> float | None:
    """An XBEL time ('2026-11-18T12:00:00Z', with or without microseconds) as POSIX seconds."""
    if not text:
        return None
    try:
        return to_posix(dt.datetime.fromisoformat(text.strip()))
    except ValueError:
        return None


class _Refused(Exception):
    """The file declares a DTD or entities: never expanded (entity bombs, external files)."""


def _refuse(*_: Any) -> None:
    raise _Refused


def _bookmarks(data: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """Every <bookmark> as a dict (href, times, mime, applications) and the parse error, if
    any; the bookmarks before the error are kept."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal current
        if tag == "bookmark":
            current = {"href": attrs.get("href", ""), "added": attrs.get("added"),
                       "modified": attrs.get("modified"), "visited": attrs.get("visited"),
                       "mime": None, "applications": []}
        elif current is not None and tag == _MIME:
            current["mime"] = attrs.get("type")
        elif current is not None and tag == _APP:
            # GLib before 2.66 wrote `timestamp` (POSIX seconds), later `modified` (ISO 8601).
            stamp = attrs.get("timestamp", "")
            when = (xbel_time(attrs.get("modified")) if "modified" in attrs
                    else float(stamp) if stamp.isdigit() else None)
            count = attrs.get("count", "")
            current["applications"].append({"name": attrs.get("name", ""),
                                            "exec": attrs.get("exec", ""), "time": when,
                                            "count": int(count) if count.isdigit() else None})

    def end(tag: str) -> None:
        nonlocal current
        if tag == "bookmark" and current is not None:
            found.append(current)
            current = None

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except _Refused:
        return found, "declares a DTD or entities, which are never expanded (not a file GLib " \
                      "writes); it was not read"
    except expat.ExpatError as exc:
        return found, f"is not well-formed XML ({exc})"
    return found, None


def _local_path(href: str) -> str:
    parts = urlsplit(href)
    return unquote(parts.path) if parts.scheme == "file" else ""


class RecentlyUsed(Extractor):
    name = "recently-used-xbel"
    patterns = ("*/.local/share/recently-used.xbel", "*/.recently-used.xbel")

    def extract(self, copy: Path, origin: Origin) -> Iterator[Artefact]:
        size = copy.stat().st_size
        if size > MAX_XBEL_BYTES:
            raise ExtractError(f"{size:,} bytes is more than {MAX_XBEL_BYTES:,} for a "
                               "recently-used list (a forged or broken file); not read")
        found, problem = _bookmarks(copy.read_bytes())
        for mark in found:
            apps = mark["applications"]
            path = _local_path(mark["href"])
            times = [t for t in (xbel_time(mark["modified"]), xbel_time(mark["visited"]),
                                 *(a["time"] for a in apps)) if t is not None]
            yield Artefact("file-opened", max(times) if times else None, origin.address,
                           origin.profile, {
                               "url": mark["href"], "path": path,
                               "name": path.rpartition("/")[2] if path else mark["href"],
                               "mime": mark["mime"], "added": mark["added"],
                               "modified": mark["modified"], "visited": mark["visited"],
                               "programs": [a["name"] for a in apps],
                               "applications": apps})
        if problem:
            raise ExtractError(f"{problem}; the {len(found)} entries read before it are kept")
