"""The order files are read in: a table of priority classes, the likeliest places first."""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.model import FileRecord
from triage.ruleset.globs import compile_glob

# Where a file lives, judged from its path alone (the plan is made before any content is read).
# The first place whose globs match wins; paths are compared in lower case. The globs cover
# Windows (XP to 11), macOS and Linux profiles and camera cards (DCIM, the DCF standard).
PLACES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chosen", (  # folders people choose to keep pictures in, or receive them into
        "/users/*/pictures/**", "/users/*/onedrive*/pictures/**", "/users/*/downloads/**",
        "/users/*/desktop/**", "/users/*/onedrive*/desktop/**", "/users/*/videos/**",
        "/users/*/movies/**",
        "/documents and settings/*/my documents/my pictures/**",
        "/documents and settings/*/desktop/**",
        "/home/*/pictures/**", "/home/*/downloads/**", "/home/*/desktop/**",
        "/home/*/videos/**", "/root/pictures/**", "/root/downloads/**", "/root/desktop/**",
        "**/dcim/**",
    )),
    ("profile", (  # the rest of a user's profile: documents, browser caches, app data
        "/users/*/**", "/documents and settings/*/**", "/home/*/**", "/root/**",
    )),
    ("system", (  # the operating system and installed programs: rarely user material
        "/windows/**", "/program files/**", "/program files (x86)/**", "/programdata/**",
        "/$recycle.bin/**", "/system volume information/**", "/usr/**", "/lib/**",
        "/lib32/**", "/lib64/**", "/bin/**", "/sbin/**", "/etc/**", "/boot/**", "/opt/**",
        "/snap/**", "/var/lib/**", "/var/cache/**", "/system/**", "/library/**",
        "/applications/**", "/private/var/**",
    )),
)
# Files modified this recently (before the scan) count as if in a profile wherever they are:
# court-order breaches are about current behaviour. 30 days covers a typical visit interval.
RECENT_DAYS = 30

# What a file is, judged from its extension (type sniffing needs content; the plan comes first).
KINDS: dict[str, frozenset[str]] = {
    "picture": frozenset({
        "jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "webp", "heic", "heif", "tif",
        "tiff", "avif", "dib", "ico",
    }),
    "video": frozenset({
        "mp4", "m4v", "mov", "avi", "mkv", "wmv", "flv", "webm", "mpg", "mpeg", "3gp", "ts",
        "vob", "asf",
    }),
    "archive": frozenset({
        "zip", "rar", "7z", "tar", "gz", "tgz", "bz2", "xz", "cbz", "cbr", "pdf", "docx",
    }),
}


@dataclass(frozen=True, slots=True)
class PriorityClass:
    """One row of the order: files in these places, of these kinds."""

    name: str
    places: frozenset[str]  # from PLACES, plus "user" (profile, removable disk, recent)
    kinds: frozenset[str]  # from KINDS, plus "other"


_USER = frozenset({"profile", "user"})
_PICTURE_VIDEO = frozenset({"picture", "video"})
# The order itself, most likely first. Pictures and videos come before other files, and the
# places people keep pictures before the rest of their profile; "user" also holds removable
# disks and recently modified files. Archives come soon after pictures because they often
# hold pictures. Operating-system folders come last: their files are mostly known-good.
CLASSES: tuple[PriorityClass, ...] = (
    PriorityClass("pictures in chosen folders", frozenset({"chosen"}), frozenset({"picture"})),
    PriorityClass("videos in chosen folders", frozenset({"chosen"}), frozenset({"video"})),
    PriorityClass("pictures in user areas", _USER, frozenset({"picture"})),
    PriorityClass("archives in user areas", _USER | {"chosen"}, frozenset({"archive"})),
    PriorityClass("videos in user areas", _USER, frozenset({"video"})),
    PriorityClass("pictures and videos elsewhere", frozenset({"elsewhere"}), _PICTURE_VIDEO),
    PriorityClass("other files in user areas", _USER | {"chosen"}, frozenset({"other"})),
    PriorityClass("archives elsewhere", frozenset({"elsewhere"}), frozenset({"archive"})),
    PriorityClass("other files elsewhere", frozenset({"elsewhere"}), frozenset({"other"})),
    PriorityClass("pictures and videos in system folders", frozenset({"system"}),
                  _PICTURE_VIDEO),
    PriorityClass("other files in system folders", frozenset({"system"}),
                  frozenset({"archive", "other"})),
)
# Within a class, small files come first (many answers soon); these are the band edges.
SIZE_BANDS = (16 * 1024 * 1024, 256 * 1024 * 1024)

_EXTENSION_KIND = {ext: kind for kind, exts in KINDS.items() for ext in exts}


def _place_regex(globs: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{compile_glob(g).regex.pattern})" for g in globs),
                      re.DOTALL)


_PLACE_REGEXES = tuple((name, _place_regex(globs)) for name, globs in PLACES)
_RANK = {(place, kind): rank for rank, row in enumerate(CLASSES)
         for place in row.places for kind in row.kinds}


def _check_table() -> None:
    """Every (place, kind) pair has exactly one class; a gap would drop files from the order."""
    places = {name for name, _ in PLACES} | {"user", "elsewhere"}
    pairs = [(p, k) for row in CLASSES for p in row.places for k in row.kinds]
    missing = {(p, k) for p in places for k in (*KINDS, "other")} - set(pairs)
    if missing or len(pairs) != len(set(pairs)):
        raise AssertionError(f"priority table: missing or repeated pairs {sorted(missing)}")


_check_table()


def kind_of(name: str) -> str:
    """'picture', 'video', 'archive' or 'other', from the file name's extension."""
    stem, dot, ext = name.rpartition(".")
    return _EXTENSION_KIND.get(ext.lower(), "other") if dot and stem else "other"


def place_of(path: str) -> str:
    """The first place in PLACES whose globs match `path`, or 'elsewhere'."""
    lower = path.lower()
    for name, regex in _PLACE_REGEXES:
        if regex.fullmatch(lower):
            return name
    return "elsewhere"


class Prioritiser:
    """Ranks records of one volume: (class index, size band); lower is read sooner."""

    def __init__(self, scan_started: float, removable: bool = False) -> None:
        self._recent_after = scan_started - RECENT_DAYS * 86400
        self._removable = removable  # a USB stick or camera card: all of it is the user's

    def rank(self, record: FileRecord) -> tuple[int, int]:
        place = place_of(record.address.path)
        if place == "elsewhere" and (
                self._removable or (record.mtime or 0) >= self._recent_after):
            place = "user"
        size = record.size
        band = 0 if size < SIZE_BANDS[0] else 1 if size < SIZE_BANDS[1] else 2
        return _RANK[(place, kind_of(record.name))], band
